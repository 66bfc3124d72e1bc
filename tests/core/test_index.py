"""Discovery (spec §1.2-§1.4), the summary cache, incremental updates, sorting and filtering."""

from __future__ import annotations

import json
import marshal
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
import pytest

from harn_tui.core.analysis.query import filter_controls
from harn_tui.core.index import discovery
from harn_tui.core.index import run_index as index_mod
from harn_tui.core.index.cache import CACHE_FORMAT, MAGIC, SummaryCache
from harn_tui.core.index.discovery import FoundFile, walk
from harn_tui.core.index.run_index import (
    POOL_THRESHOLD,
    RunIndex,
    load_summary,
    select,
    sort_runs,
)
from harn_tui.core.index.summary import SUMMARY_VERSION, RunSummary, broken, summarize

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"

T0 = "2026-04-22T00:00:00Z"


def record(run_id: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_type": "run_record",
        "id": run_id,
        "workflow_id": "wf",
        "status": "completed",
        "started_at": T0,
    }
    out.update(fields)
    return out


def write_run(path: Path, run_id: str | None = None, **fields: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record(run_id or path.stem, **fields), indent=2))
    return path


def rels(runs: list[RunSummary]) -> list[str]:
    return [r.path for r in runs]


# -- discovery -----------------------------------------------------------------------------------


@pytest.fixture
def messy_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    write_run(root / "a.json")
    write_run(root / "portal-demo" / "b.json")
    write_run(root / "playground" / "job-1" / "run.json")
    for name in ("examples",):
        shutil.copytree(EXAMPLES, root / name, ignore=shutil.ignore_patterns("more"))
    # temp files of both Harn versions, dot files and dot folders
    write_run(root / "a.json.tmp")
    write_run(root / ".a.json.01964c1e-7a2b-7c3d-8e9f-0123456789ab.tmp")
    write_run(root / ".hidden.json")
    write_run(root / ".cache" / "c.json")
    write_run(root / "sub" / ".git" / "d.json")
    write_run(root / "staging.tmp" / "e.json")  # a folder named *.tmp is skipped too
    # not run records
    (root / "playground" / "job-1" / "launch.json").write_text(
        json.dumps({"mode": "agent", "task": "x", "run_path": "run.json"})
    )
    (root / "other.json").write_text(json.dumps({"_type": "workflow_run", "id": "w"}))
    (root / "events.jsonl").write_text('{"a": 1}\n')
    (root / "notes.txt").write_text("hello")
    (root / "playground" / "job-1" / "run-llm").mkdir()
    (root / "playground" / "job-1" / "run-llm" / "llm_transcript.jsonl").write_text("{}\n")
    # broken files
    good = (EXAMPLES / "merge_captain_smoke.run.json").read_bytes()
    broken_dir = root / "broken"
    broken_dir.mkdir()
    (broken_dir / "truncated.json").write_bytes(good[: len(good) // 2])
    (broken_dir / "utf8.json").write_bytes(good.replace(b"template smoke", b"templ\xe9 smoke"))
    (broken_dir / "binary.json").write_bytes(b"\x00\x01\x02PK\x03\x04" * 20)
    (broken_dir / "list.json").write_text("[1, 2, 3]")
    (broken_dir / "deep.json").write_bytes(b"[" * 5000 + b"]" * 5000)
    (broken_dir / "empty.json").write_bytes(b"")
    (broken_dir / "string.json").write_text('"run_record"')
    return root


def scan(root: Path, **kw: Any) -> dict[str, RunSummary]:
    index = RunIndex(root, **kw)
    return {s.path: s for s in index.scan()}


def test_discovery_rules(messy_root: Path) -> None:
    runs = scan(messy_root)
    good = {
        "a.json",
        "portal-demo/b.json",
        "playground/job-1/run.json",
        "examples/merge_captain_smoke.run.json",
        "examples/oncall_captain_smoke.run.json",
        "examples/review_captain_smoke.run.json",
    }
    reasons = {rel: s.error for rel, s in runs.items() if s.broken}
    assert {rel for rel, s in runs.items() if not s.broken} == good
    assert set(reasons) == {
        "broken/truncated.json",
        "broken/utf8.json",
        "broken/binary.json",
        "broken/list.json",
        "broken/deep.json",
        "broken/empty.json",
        "broken/string.json",
    }
    assert reasons["broken/truncated.json"].startswith("truncated JSON")
    assert reasons["broken/utf8.json"].startswith("invalid UTF-8 at byte ")
    assert reasons["broken/binary.json"] == "binary file, not JSON"
    assert reasons["broken/list.json"] == "top-level JSON is an array, not an object"
    assert reasons["broken/string.json"] == "top-level JSON is a string, not an object"
    assert "nesting" in reasons["broken/deep.json"]
    assert reasons["broken/empty.json"] == "empty file"
    for reason in reasons.values():
        assert reason and "\n" not in reason
    for rel in reasons:
        s = runs[rel]
        assert (
            s.status_group == "broken"
            and s.id == ""
            and s.size == (messy_root / rel).stat().st_size
        )
    assert runs["examples/merge_captain_smoke.run.json"].id == "merge-captain-smoke"


def test_walk_ignores_names_and_reports_relative_posix_paths(messy_root: Path) -> None:
    found = list(walk(messy_root))
    names = {f.rel for f in found}
    assert "a.json" in names and "playground/job-1/launch.json" in names
    for rel in names:
        parts = rel.split("/")
        assert not any(p.startswith(".") or p.endswith(".tmp") for p in parts), rel
        assert rel.endswith(".json")
    assert all(f.error is None for f in found)
    assert all(f.size == Path(f.path).stat().st_size for f in found)
    assert all(f.mtime_ns == Path(f.path).stat().st_mtime_ns for f in found)


def test_is_ignored_name() -> None:
    for name in ("run.json.tmp", ".run.json.0196-x.tmp", ".git", "work.tmp", ".x"):
        assert discovery.is_ignored_name(name), name
    for name in ("run.json", "tmp", "a.tmpl", "portal-demo"):
        assert not discovery.is_ignored_name(name), name


def test_is_candidate_name() -> None:
    assert discovery.is_candidate_name("run.json")
    assert discovery.is_candidate_name("abc.run.json")
    for name in ("run.json.tmp", ".run.json.0196-x.tmp", ".run.json", "run.jsonl", "run.JSON"):
        assert not discovery.is_candidate_name(name), name


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root / "sub" / "x.json")
    (root / "sub" / "back").symlink_to(root, target_is_directory=True)
    (root / "self").symlink_to(root / "sub", target_is_directory=True)
    found = [f.rel for f in walk(root)]
    # the folder reached through a link is walked once; the loop back to the root is not
    assert len(found) == 1
    assert found[0] in ("sub/x.json", "self/x.json")


def test_symlinked_folder_outside_root_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    write_run(tmp_path / "elsewhere" / "y.json")
    (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert [f.rel for f in walk(root)] == ["linked/y.json"]


def test_broken_symlink_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    (root / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    runs = scan(root)
    assert runs["dangling.json"].error == "broken symlink"


def test_unreadable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "runs"
    write_run(root / "ok.json")
    write_run(root / "locked" / "secret.json")
    real_scandir = os.scandir

    def fake_scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", fake_scandir)
    found = {f.rel: f for f in walk(root)}
    assert set(found) == {"ok.json", "locked"}
    assert found["locked"].error == "cannot read folder: permission denied"
    assert found["ok.json"].error is None


def test_walk_of_missing_root_is_empty(tmp_path: Path) -> None:
    assert list(walk(tmp_path / "missing")) == []


def test_load_summary_non_run_json_is_none(tmp_path: Path) -> None:
    for i, value in enumerate([{"_type": "workflow_run"}, {"id": "x"}, {"_type": None}]):
        path = tmp_path / f"f{i}.json"
        path.write_text(json.dumps(value))
        assert load_summary(FoundFile(path, path.name)) is None


def test_load_summary_keeps_incomplete_records(tmp_path: Path) -> None:
    path = tmp_path / "bare.json"
    path.write_text('{"_type": "run_record"}')
    s = load_summary(FoundFile(path, "bare.json"))
    assert s is not None and not s.broken and s.id == "" and s.started_at_ms is None


# -- the summary cache -----------------------------------------------------------------------------


@pytest.fixture
def cached_root(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "runs"
    for i in range(5):
        write_run(root / f"r{i}.json", started_at=f"2026-04-22T00:00:0{i}Z")
    write_run(root / "nested" / "n.json")
    (root / "launch.json").write_text('{"mode": "x"}')
    (root / "broken.json").write_text('{"_type": "run_record", "id": ')
    return root, tmp_path / "cache"


def test_warm_scan_serves_every_file_from_cache(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    cold = RunIndex(root, cache_dir=cache_dir)
    cold_runs = cold.scan()
    assert cold.stats.files_seen == 8
    assert cold.stats.parsed == 8 and cold.stats.cache_hits == 0
    assert cold.cache is not None and cold.cache.path.is_file()
    assert cold.cache.path.parent == cache_dir
    assert not any(p.name.startswith("index-") for p in root.rglob("*"))  # never writes to the root

    warm = RunIndex(root, cache_dir=cache_dir)
    warm_runs = warm.scan()
    assert warm.stats.cache_hits == 8
    assert warm.stats.parsed == 0
    assert {r.path: asdict(r) for r in warm_runs} == {r.path: asdict(r) for r in cold_runs}
    assert warm.runs["broken.json"].error is not None  # broken rows come from the cache too


def test_same_size_new_mtime_is_reparsed(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    RunIndex(root, cache_dir=cache_dir).scan()
    path = root / "r1.json"
    before = path.stat()
    text = path.read_text()
    assert '"completed"' in text
    path.write_text(text.replace('"completed"', '"cancelled"'))  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 7_000_000))
    assert path.stat().st_size == before.st_size

    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    assert index.stats.parsed == 1
    assert index.stats.cache_hits == 7
    assert index.runs["r1.json"].status == "cancelled"
    assert index.runs["r1.json"].status_group == "failed"


def test_same_mtime_new_size_is_reparsed(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    RunIndex(root, cache_dir=cache_dir).scan()
    path = root / "r2.json"
    before = path.stat()
    write_run(path, "r2", status="failed")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    assert index.stats.parsed == 1
    assert index.runs["r2.json"].status == "failed"


def _framed(header: object) -> bytes:
    """A cache file of this format holding `header` (and no documents)."""
    head = marshal.dumps(header)
    return MAGIC + len(head).to_bytes(8, "little") + head


def _unframed(raw: bytes) -> tuple[Any, bytes]:
    """(header, the documents) of a cache file."""
    start = len(MAGIC) + 8
    end = start + int.from_bytes(raw[len(MAGIC) : start], "little")
    return marshal.loads(raw[start:end]), raw[end:]


@pytest.mark.parametrize(
    "content",
    [
        b"\x00garbage{",
        b"",
        b"[1, 2, 3]",
        orjson.dumps({"format": "someone-else", "entries": {}}),
        orjson.dumps({"format": CACHE_FORMAT, "version": SUMMARY_VERSION - 1, "entries": {}}),
        orjson.dumps(
            {"format": CACHE_FORMAT, "version": SUMMARY_VERSION, "root": "/x", "entries": []}
        ),
        MAGIC + b"{not json\n",
        _framed({"format": CACHE_FORMAT, "version": SUMMARY_VERSION, "blob": 99, "columns": []})
        + b"short",
        _framed(["not", "a", "dict"]),
        _framed({"format": CACHE_FORMAT})[:-3],
        MAGIC + (2).to_bytes(8, "little") + b"\xff\xfe",
        MAGIC.replace(b" py", b" py9") + _framed({"format": CACHE_FORMAT})[len(MAGIC) :],
        b"HARN-TUI-CACHE\n" + orjson.dumps({"format": "harn-tui-summary-cache-2"}) + b"\n",
    ],
    ids=["binary", "empty", "list", "foreign", "old-version", "bad-entries", "bad-header",
         "bad-blob", "header-not-a-dict", "truncated-header", "bad-marshal",
         "other-python", "json-header-format"],
)
def test_corrupt_or_foreign_cache_is_rebuilt(
    cached_root: tuple[Path, Path], content: bytes
) -> None:
    root, cache_dir = cached_root
    first = RunIndex(root, cache_dir=cache_dir)
    expected = {r.path: asdict(r) for r in first.scan()}
    assert first.cache is not None
    first.cache.path.write_bytes(content)

    index = RunIndex(root, cache_dir=cache_dir)
    runs = index.scan()
    assert index.stats.cache_hits == 0 and index.stats.parsed == 8
    assert {r.path: asdict(r) for r in runs} == expected
    saved = SummaryCache(cache_dir, root)
    saved.load()
    assert len(saved.entries) == 8 and not saved.dirty
    # and the rebuilt cache works
    again = RunIndex(root, cache_dir=cache_dir)
    again.scan()
    assert again.stats.cache_hits == 8


def test_cache_of_another_root_is_not_used(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    root_a, root_b = tmp_path / "a", tmp_path / "b"
    write_run(root_a / "r.json", "same-id", status="completed")
    write_run(root_b / "r.json", "same-id", status="cancelled")
    stat_a = (root_a / "r.json").stat()
    os.utime(root_b / "r.json", ns=(stat_a.st_atime_ns, stat_a.st_mtime_ns))
    assert (root_b / "r.json").stat().st_size == stat_a.st_size

    index_a = RunIndex(root_a, cache_dir=cache_dir)
    index_a.scan()
    index_b = RunIndex(root_b, cache_dir=cache_dir)
    assert index_a.cache is not None and index_b.cache is not None
    assert index_a.cache.path != index_b.cache.path
    shutil.copyfile(index_a.cache.path, index_b.cache.path)  # a's cache under b's name

    index_b.scan()
    assert index_b.stats.cache_hits == 0
    assert index_b.runs["r.json"].status == "cancelled"


def test_malformed_cache_entries_are_ignored(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    first = RunIndex(root, cache_dir=cache_dir)
    first.scan()
    assert first.cache is not None
    raw = first.cache.path.read_bytes()
    data, docs = _unframed(raw)
    rels, sizes, mtimes, offsets, lengths, _light = data["columns"]
    sizes[rels.index("r0.json")] = "big"
    mtimes[rels.index("r1.json")] = None
    offsets[rels.index("r2.json")] = len(raw)  # past the end of the documents
    lengths[rels.index("r3.json")] = "long"
    first.cache.path.write_bytes(_framed(data) + docs)
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    assert index.stats.cache_hits == 4 and index.stats.parsed == 4
    assert {"r0.json", "r1.json", "r2.json", "r3.json"} <= set(index.runs)
    # ...and so are damaged columns: the whole cache is rebuilt
    data["columns"][5] = data["columns"][5][:-1]
    first.cache.path.write_bytes(_framed(data) + docs)
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    assert index.stats.cache_hits == 0 and index.stats.parsed == 8


def test_deleted_file_is_removed_from_cache(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    RunIndex(root, cache_dir=cache_dir).scan()
    (root / "r3.json").unlink()
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    assert "r3.json" not in index.runs
    assert index.cache is not None
    saved = SummaryCache(cache_dir, root)
    saved.load()
    assert "r3.json" not in saved.entries and "r4.json" in saved.entries
    assert len(saved.entries) == 7


def test_cache_get_never_serves_stale(tmp_path: Path) -> None:
    cache = SummaryCache(tmp_path / "c", tmp_path / "root")
    cache.put("x.json", 10, 20, {"path": "x.json"})
    assert cache.get("x.json", 10, 20) == (True, {"path": "x.json"})
    assert cache.get("x.json", 11, 20) == (False, None)
    assert cache.get("x.json", 10, 21) == (False, None)
    assert cache.get("y.json", 10, 20) == (False, None)
    cache.put("launch.json", 1, 2, None)
    assert cache.get("launch.json", 1, 2) == (True, None)  # "not a run record" is cached too


def test_unwritable_cache_dir_is_not_fatal(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cache_dir.write_text("a file where the cache folder should be")
    index = RunIndex(root, cache_dir=cache_dir)
    assert len(index.scan()) == 7


# -- update(paths) ---------------------------------------------------------------------------------------


def test_update_reloads_exactly_the_changed_file(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    before = {rel: asdict(s) for rel, s in index.runs.items()}
    write_run(
        root / "r1.json", "r1", status="failed", stages=[{"node_id": "x", "status": "failed"}]
    )

    changed, removed = index.update([root / "r1.json"])
    assert index.stats.reloads == 1
    assert removed == []
    assert [s.path for s in changed] == ["r1.json"]
    assert index.runs["r1.json"].status == "failed"
    assert index.runs["r1.json"].failure == "x failed with "
    for rel, data in before.items():
        if rel != "r1.json":
            assert asdict(index.runs[rel]) == data

    # the update is remembered by the cache: the next scan parses nothing
    index.save_cache()
    warm = RunIndex(root, cache_dir=cache_dir)
    warm.scan()
    assert warm.stats.parsed == 0
    assert warm.runs["r1.json"].status == "failed"


def test_update_new_file_in_subfolder(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    new = write_run(root / "deep" / "er" / "new.json", "new")
    changed, removed = index.update([new])
    assert [s.id for s in changed] == ["new"] and removed == []
    assert index.runs["deep/er/new.json"].id == "new"
    assert index.stats.reloads == 1


def test_update_delete_rename_and_non_run(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()

    (root / "r0.json").unlink()
    assert index.update([root / "r0.json"]) == ([], ["r0.json"])
    assert "r0.json" not in index.runs
    assert index.stats.reloads == 0

    os.rename(root / "r1.json", root / "renamed.json")
    changed, removed = index.update([root / "r1.json", root / "renamed.json"])
    assert removed == ["r1.json"]
    assert [s.path for s in changed] == ["renamed.json"]
    assert index.runs["renamed.json"].id == "r1"
    assert index.stats.reloads == 1

    (root / "r2.json").write_text(json.dumps({"_type": "workflow_run"}))
    assert index.update([root / "r2.json"]) == ([], ["r2.json"])
    assert "r2.json" not in index.runs

    (root / "r3.json").write_text('{"_type": "run_record", "id": "r3", "stat')
    changed, removed = index.update([root / "r3.json"])
    assert removed == [] and changed[0].error is not None
    assert index.runs["r3.json"].broken

    # deleting something the index never had is a no-op
    assert index.update([root / "never.json"]) == ([], [])


def test_update_ignores_temp_dot_and_outside_paths(cached_root: tuple[Path, Path]) -> None:
    root, cache_dir = cached_root
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    paths = [
        write_run(root / "r0.json.tmp"),
        write_run(root / ".r0.json.0196.tmp"),
        write_run(root / ".dot.json"),
        write_run(root / ".hidden" / "x.json"),
        write_run(root / "staging.tmp" / "x.json"),
        write_run(root / "log.jsonl"),
        write_run(root.parent / "outside.json"),
    ]
    assert index.update(paths) == ([], [])
    assert index.stats.reloads == 0
    assert len(index.runs) == 7


# -- the process pool ------------------------------------------------------------------------------------


def test_pool_gives_the_same_summaries_as_in_process(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    count = POOL_THRESHOLD + 12
    for i in range(count):
        write_run(
            root / f"g{i // 20}" / f"run{i:03d}.json",
            f"run-{i}",
            started_at=f"1714460{i:03d}",
            status=["completed", "failed", "running"][i % 3],
            stages=[{"node_id": f"n{i}", "status": "failed" if i % 3 == 1 else "completed"}],
            usage={"input_tokens": i, "models": [f"m{i % 4}"]},
        )
    (root / "g0" / "broken.json").write_text("{")
    (root / "g1" / "launch.json").write_text("{}")

    pooled = RunIndex(root, cache_dir=tmp_path / "c1", workers=2)
    pooled_runs = pooled.scan()
    single = RunIndex(root, cache_dir=tmp_path / "c2", workers=1)
    single_runs = single.scan()

    assert len(pooled_runs) == count + 1
    assert {r.path: asdict(r) for r in pooled_runs} == {r.path: asdict(r) for r in single_runs}
    assert pooled.stats.parsed == count + 2
    # the pool fills the cache as well
    warm = RunIndex(root, cache_dir=tmp_path / "c1", workers=2)
    warm.scan()
    assert warm.stats.cache_hits == count + 2 and warm.stats.parsed == 0


def test_on_batch_reports_every_run(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    for i in range(5):
        write_run(root / f"r{i}.json")
    seen: list[str] = []
    RunIndex(root).scan(on_batch=lambda batch: seen.extend(s.path for s in batch))
    assert sorted(seen) == [f"r{i}.json" for i in range(5)]


def test_pool_threshold_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # with a threshold of 1 the pool path runs even for two files
    monkeypatch.setattr(index_mod, "POOL_THRESHOLD", 1)
    root = tmp_path / "runs"
    write_run(root / "a.json")
    write_run(root / "b.json", status="failed")
    runs = {r.path: r for r in RunIndex(root, workers=2).scan()}
    assert runs["b.json"].status_group == "failed"
    assert runs["a.json"].status_group == "completed"


# -- sorting and filtering ---------------------------------------------------------------------------------


def summary(path: str, mtime_ns: int = 0, **fields: Any) -> RunSummary:
    return summarize(record(Path(path).stem, **fields), path, 100, mtime_ns)


def test_newest_first_by_parsed_start_across_formats() -> None:
    runs = [
        summary("rfc-old.json", started_at="2020-01-01T00:00:00Z"),
        summary("uuid-2026.json", started_at="019db2f0-0000-7000-8000-000000000000"),
        summary("secs-2024.json", started_at="1714460000"),
        summary("unparsed-new-mtime.json", mtime_ns=9, started_at="soon"),
        summary("unparsed-old-mtime.json", mtime_ns=1, started_at=""),
        summary("secsmillis-2024.json", started_at="1714460000.500"),
    ]
    assert rels(sort_runs(runs)) == [
        "uuid-2026.json",
        "secsmillis-2024.json",
        "secs-2024.json",
        "rfc-old.json",
        "unparsed-new-mtime.json",
        "unparsed-old-mtime.json",
    ]
    assert rels(sort_runs(runs, "oldest")) == [
        "rfc-old.json",
        "secs-2024.json",
        "secsmillis-2024.json",
        "uuid-2026.json",
        "unparsed-old-mtime.json",
        "unparsed-new-mtime.json",
    ]


def test_equal_start_ties_broken_by_mtime_newest_first() -> None:
    runs = [
        summary("b.json", mtime_ns=100),
        summary("a.json", mtime_ns=300),
        summary("c.json", mtime_ns=200),
        # the same instant written in another zone is a tie too
        summary("d.json", mtime_ns=250, started_at="2026-04-22T02:00:00+02:00"),
    ]
    assert rels(sort_runs(runs)) == ["a.json", "d.json", "c.json", "b.json"]
    assert rels(sort_runs(runs, "oldest")) == ["b.json", "c.json", "d.json", "a.json"]


def test_sort_by_duration() -> None:
    runs = [
        summary("short.json", usage={"total_duration_ms": 10}),
        summary("none.json", started_at="x"),
        summary("long.json", usage={"total_duration_ms": 5000}),
        summary("mid-old.json", usage={"total_duration_ms": 100}, started_at="1714460000"),
        summary("mid-new.json", usage={"total_duration_ms": 100}, started_at="1814460000"),
    ]
    assert rels(sort_runs(runs, "duration")) == [
        "long.json",
        "mid-new.json",
        "mid-old.json",
        "short.json",
        "none.json",
    ]


def test_broken_rows_sort_by_mtime_after_parsed() -> None:
    runs = [broken("x.json", "empty file", mtime_ns=5), summary("ok.json", mtime_ns=1)]
    assert rels(sort_runs(runs)) == ["ok.json", "x.json"]


@pytest.fixture
def mixed() -> list[RunSummary]:
    return [
        summary("f1.json", status="failed", workflow_name="Deploy"),
        summary("f2.json", status="error", workflow_id="build"),
        summary("f3.json", status="cancelled", workflow_name="deploy"),
        summary("c1.json", status="complete", workflow_name="Deploy"),
        summary("c2.json", status="success"),
        summary("c3.json", status="verified"),
        summary("c4.json", status="completed"),
        summary("a1.json", status="running"),
        summary("a2.json", status="paused"),
        summary("a3.json", status="weird-new-status"),
        broken("bad.json", "truncated JSON (ends unexpectedly at line 1 column 3)"),
    ]


def test_status_groups(mixed: list[RunSummary]) -> None:
    assert sorted(rels(filter_controls(mixed, "failed"))) == ["f1.json", "f2.json", "f3.json"]
    assert sorted(rels(filter_controls(mixed, "completed"))) == [
        "c1.json",
        "c2.json",
        "c3.json",
        "c4.json",
    ]
    assert sorted(rels(filter_controls(mixed, "active"))) == ["a1.json", "a2.json", "a3.json"]
    assert len(filter_controls(mixed, "all")) == len(mixed)  # broken rows listed too


def test_workflow_is_exact_on_displayed_name(mixed: list[RunSummary]) -> None:
    assert sorted(rels(filter_controls(mixed, workflow="Deploy"))) == ["c1.json", "f1.json"]
    assert rels(filter_controls(mixed, workflow="build")) == ["f2.json"]  # falls back to workflow_id
    assert filter_controls(mixed, workflow="Dep") == []


def test_query_fields() -> None:
    runs = [
        summary("name.json", workflow_name="Nightly-Review"),
        summary("status.json", status="AwaitingApproval"),
        summary("dir/path-hit.json"),
        summary("node.json", stages=[{"node_id": "gatekeeper", "status": "completed"}]),
        summary(
            "failure.json",
            stages=[{"node_id": "x", "status": "failed", "metadata": {"error": "Quota exceeded"}}],
        ),
        summary("models.json", usage={"models": ["claude-opus-x"]}),
        summary("task-only.json", task="needle in the task"),
    ]

    def q(text: str) -> list[str]:
        return rels(filter_controls(runs, text=text))

    assert q("nightly-REVIEW") == ["name.json"]
    assert q("awaitingapproval") == ["status.json"]
    assert q("PATH-HIT") == ["dir/path-hit.json"]
    assert q("gatekeep") == ["node.json"]
    assert q("quota") == ["failure.json"]
    assert q("OPUS") == ["models.json"]
    assert q("needle") == []  # task text is not searched (as the portal)
    assert len(q("  ")) == len(runs)  # blank query matches everything


def test_query_matches_broken_rows_by_path_and_reason() -> None:
    row = broken("sub/bad.json", "invalid UTF-8 at byte 3")
    assert filter_controls([row], text="sub/bad")
    assert filter_controls([row], text="utf-8")
    assert not filter_controls([row], "failed")


def test_limit(mixed: list[RunSummary]) -> None:
    assert len(select(mixed, limit=3)) == 3
    assert select(mixed, limit=0) == []
    assert len(select(mixed, limit=1000)) == len(mixed)
    assert rels(select(mixed, limit=2)) == rels(select(mixed))[:2]


def test_find_by_id_or_path(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root / "x.json", "the-id")
    index = RunIndex(root)
    index.scan()
    assert [s.path for s in index.find_prefix("the-id")] == ["x.json"]
    assert [s.id for s in index.find_prefix("x.json")] == ["the-id"]
    assert index.find_prefix("nope") == []


def test_relative(tmp_path: Path) -> None:
    index = RunIndex(tmp_path / "runs")
    assert index.relative(tmp_path / "runs" / "a" / "b.json") == "a/b.json"
    assert index.relative(tmp_path / "elsewhere.json") is None


def test_walk_reports_every_folder_it_meets(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root / "a" / "r.json")
    (root / "a" / "r-llm").mkdir()
    (root / "b").mkdir()
    (root / ".hidden").mkdir()
    os.symlink(root / "b", root / "link")
    folders: set[str] = set()
    assert [f.rel for f in walk(root, folders)] == ["a/r.json"]
    assert folders == {"a", "a/r-llm", "b", "link"}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cancelled_scan_keeps_and_caches_what_it_parsed(tmp_path: Path, workers: int) -> None:
    """The explorer closing during a cold scan: the scan stops soon, the summaries parsed so
    far are cached, and the next scan parses only the rest."""
    from harn_tui.core.index.run_index import CHUNK

    root = tmp_path / "runs"
    count = POOL_THRESHOLD + 3 * CHUNK
    for i in range(count):
        write_run(root / f"run{i:04d}.json", f"run-{i}")
    index = RunIndex(root, cache_dir=tmp_path / "c", workers=workers)
    partial = index.scan(on_batch=lambda batch: index.cancel())
    assert 0 < len(partial) < count
    warm = RunIndex(root, cache_dir=tmp_path / "c", workers=workers)
    assert len(warm.scan()) == count
    assert warm.stats.cache_hits == len(partial) and warm.stats.parsed == count - len(partial)


def test_a_file_name_that_is_not_utf8_is_cached_like_any_other(tmp_path: Path) -> None:
    root, cache_dir = tmp_path / "runs", tmp_path / "cache"
    write_run(root / "plain.json", "plain")
    odd = os.fsencode(root) + b"/run-\xff\xfe.json"
    with open(odd, "wb") as handle:
        handle.write((root / "plain.json").read_bytes().replace(b'"plain"', b'"odd"'))
    cold = RunIndex(root, cache_dir=cache_dir)
    assert {r.id for r in cold.scan()} == {"plain", "odd"}
    warm = RunIndex(root, cache_dir=cache_dir)
    listed = warm.scan_listing()
    assert warm.stats.cache_hits == 2 and warm.stats.parsed == 0
    assert os.fsdecode(b"run-\xff\xfe.json") in {row.path for row in listed}


def test_after_a_scan_the_cache_lets_go_and_merges_later_changes_on_save(
    cached_root: tuple[Path, Path],
) -> None:
    root, cache_dir = cached_root
    index = RunIndex(root, cache_dir=cache_dir)
    index.scan()
    assert index.cache is not None
    assert index.cache.get("r1.json", *_size_mtime(root / "r1.json")) == (False, None)  # let go
    write_run(root / "r2.json", "r2", status="failed")
    write_run(root / "r9.json", "r9")
    index.update([root / "r2.json", root / "r9.json"])
    index.save_cache()
    saved = SummaryCache(cache_dir, root)
    saved.load()
    assert len(saved.entries) == 9  # every file of the scan, the changed one, the new one
    warm = RunIndex(root, cache_dir=cache_dir)
    runs = {r.path: r for r in warm.scan()}
    assert warm.stats.parsed == 0 and warm.stats.cache_hits == 9
    assert runs["r2.json"].status == "failed" and "r9.json" in runs


def _size_mtime(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def test_a_gc_pause_ends_only_when_the_last_open_one_does_on_any_thread() -> None:
    import gc
    import threading

    from harn_tui.core.format.gcpause import gc_paused

    was_enabled = gc.isenabled()  # an in-process `ls` of another test may have turned it off
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def short_pause() -> None:
        with gc_paused():
            inside.set()
            leave.wait(5)

    worker = threading.Thread(target=short_pause)
    worker.start()
    inside.wait(5)  # a short pause has begun on another thread...
    with gc_paused():  # ...then a long load here...
        leave.set()
        worker.join()  # ...and the short one ends first
        assert not gc.isenabled()  # still paused: the load is not over
    assert gc.isenabled()
    if not was_enabled:
        gc.disable()
