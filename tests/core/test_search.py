"""Full-text search: extraction, the index's freshness and repair, every query form, grep."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from logbuilder import LogBuilder

from harn_tui import cli
from harn_tui.core.analysis.query import parse_query
from harn_tui.core.format.errors import UsageError
from harn_tui.core.search import store as search_index
from harn_tui.core.search.engine import paths_matching, search, where_paths
from harn_tui.core.search.extract import parse_location, record_pieces
from harn_tui.core.search.query import parse_search, run_search
from harn_tui.core.search.store import SearchIndex


def _run(run_id: str, started: str, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "_type": "run_record",
        "id": run_id,
        "workflow_id": "deploy",
        "workflow_name": "deploy",
        "status": "failed",
        "started_at": started,
        "stages": [
            {
                "id": "stage-1",
                "node_id": "build",
                "status": "failed",
                "metadata": {"prompt": "Build the canary release for zebra-7"},
                "attempts": [{"error": "permission denied on /var/run/socket"}],
                "transcript": {
                    "id": f"session-{run_id}",
                    "messages": [
                        {"role": "user", "content": "please redeploy"},
                        {"role": "assistant", "content": "I will deploy the service now"},
                    ],
                },
            }
        ],
        "tool_recordings": [
            {"tool_name": "bash", "arguments": {"cmd": "git push --force origin"},
             "result": "remote rejected: hook declined the flamingo"},
        ],
        "hitl_questions": [{"request_id": "q1", "prompt": "Ship to the lighthouse canary?"}],
    }
    rec.update(extra)
    return rec


def _write(root: Path, rel: str, rec: dict[str, Any]) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec, indent=2))
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "runs"
    _write(r, "old.json", _run("run-old", "2026-11-20T10:00:00Z"))
    newer = _run("run-new", "2026-11-21T10:00:00Z", status="completed")
    newer["tool_recordings"][0]["result"] = "all good: deployed"
    _write(r, "nightly/new.json", newer)
    side = r / "nightly" / "new-llm" / "llm_transcript.jsonl"
    side.parent.mkdir(parents=True)
    side.write_text(json.dumps({"type": "provider_call_response",
                                "response": {"text": "thinking about a quokka"}}) + "\n")
    return r


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _find(root: Path, cache: Path, pattern: str, **kw: Any) -> list[Any]:
    return search(root, pattern, cache_dir=cache, **kw).hits


# -- extraction ---------------------------------------------------------------------


def test_pieces_carry_field_and_json_pointer() -> None:
    pieces = {p.text: p for p in record_pieces(_run("r", "2026-11-20T10:00:00Z"))}
    assert pieces["Build the canary release for zebra-7"].field == "prompt"
    assert pieces["Build the canary release for zebra-7"].locs == ["r/stages/0/metadata/prompt"]
    assert pieces["permission denied on /var/run/socket"].field == "error"
    assert pieces["git push --force origin"].field == "tool"
    assert pieces["Ship to the lighthouse canary?"].field == "hitl"
    assert pieces["I will deploy the service now"].field == "message"
    assert "run-old" not in pieces and "failed" not in pieces  # ids and enums are not text
    loc = parse_location("r/stages/0/transcript/messages/1/content")
    assert (loc.stage, loc.index_after("messages")) == (0, 1)
    assert parse_location("s3/response/text").line == 3
    assert parse_location("e42/event/text").event_id == 42


# -- query forms ----------------------------------------------------------------------


def test_word_matches_whole_words_only(root: Path, cache: Path) -> None:
    hits = _find(root, cache, "deploy")
    assert {h.text for h in hits} == {"I will deploy the service now", "deploy"}  # + workflow
    assert all(h.text[h.start:h.end].lower() == "deploy" for h in hits)


def test_newest_run_first_and_case_insensitive(root: Path, cache: Path) -> None:
    hits = _find(root, cache, "CANARY")
    assert [h.run_id for h in hits][:2] == ["run-new", "run-new"]
    assert hits[-1].run_id == "run-old"


def test_phrase_prefix_and_substring(root: Path, cache: Path) -> None:
    assert {h.field for h in _find(root, cache, '"permission denied"')} == {"error"}
    assert _find(root, cache, '"denied permission"') == []
    prefix = {h.text[h.start:h.end].lower() for h in _find(root, cache, "deploy*")}
    assert prefix == {"deploy", "deployed"}
    sub = _find(root, cache, "*lamin*")
    assert [h.text[h.start:h.end] for h in sub] == ["lamin"]
    assert [h.run_id for h in _find(root, cache, 'text~"ermission den"')] == ["run-new", "run-old"]
    assert {h.text for h in _find(root, cache, "*edeplo*")} == {"please redeploy"}


def test_scopes(root: Path, cache: Path) -> None:
    assert {h.field for h in _find(root, cache, "canary")} == {"prompt", "hitl"}
    assert {h.field for h in _find(root, cache, "in:hitl canary")} == {"hitl"}
    assert {h.field for h in _find(root, cache, "canary", fields="prompt")} == {"prompt"}
    assert _find(root, cache, "in:tool canary") == []
    with pytest.raises(UsageError):
        _find(root, cache, "in:nowhere canary")


def test_combined_with_the_query_language(root: Path, cache: Path) -> None:
    assert {h.run_id for h in _find(root, cache, "status=failed canary")} == {"run-old"}
    assert {h.run_id for h in _find(root, cache, "canary", where="status=completed")} == {"run-new"}


def test_regex_is_verified_and_bounded(root: Path, cache: Path) -> None:
    hits = _find(root, cache, r"push\s+--f\w+", regex=True)
    assert [h.text[h.start:h.end] for h in hits] == ["push --force", "push --force"]
    slow = search(root, r"(\w+\s?)+\$", cache_dir=cache, regex=True, regex_seconds=0.5)
    # the catastrophic pattern is stopped and says so, instead of hanging
    assert slow.timed_out is not None and "stopped" in slow.timed_out
    with pytest.raises(UsageError):
        _find(root, cache, "(", regex=True)


def test_regex_is_bounded_beside_threads_and_without_a_real_stderr(
        root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the app: other threads run and sys.stderr has no file descriptor (Textual)."""
    import threading

    class _Capture:
        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            pass

        def fileno(self) -> int:
            return -1

    from harn_tui.core.search import engine

    def no_fallback(*args: Any) -> Any:  # checked between texts only: one bad text hangs it
        raise AssertionError("the regex ran in process, not in a child it can stop")

    monkeypatch.setattr(engine, "_in_process", no_fallback)
    _write(root, "pathological.json", _run("run-aaa", "2026-11-01T10:00:00Z", task="a" * 40 + "b"))
    monkeypatch.setattr("sys.stderr", _Capture())
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        fast = search(root, r"push\s+--f\w+", cache_dir=cache, regex=True, regex_seconds=5)
        slow = search(root, r"(a+)+$", cache_dir=cache, regex=True, regex_seconds=0.5)
    finally:
        stop.set()
    assert fast.timed_out is None and len(fast.hits) == 3  # a child can answer, too
    assert slow.timed_out is not None and "stopped after 0.5s" in slow.timed_out


def test_sidecar_turns_are_found(root: Path, cache: Path) -> None:
    (hit,) = _find(root, cache, "quokka")
    assert (hit.run_id, hit.location.source, hit.location.line) == ("run-new", "sidecar", 1)
    assert "model turn" in hit.describe()


def test_text_term_in_the_run_query_language(root: Path, cache: Path) -> None:
    index = SearchIndex(cache, root)
    index.sync()
    query = parse_query('status=failed text~"lighthouse canary"')
    query.bind_text(lambda needle: paths_matching(index.conn, needle))
    assert query.text_sets[0].paths == {"old.json", "nightly/new.json"}
    unbound = parse_query('text~"lighthouse"')
    assert unbound.text_sets[0].paths is None  # unbound: matches no run until searched


# -- freshness and repair ----------------------------------------------------------------


def test_a_changed_file_is_reindexed_never_stale(root: Path, cache: Path) -> None:
    assert _find(root, cache, "flamingo")
    rec = _run("run-old", "2026-11-20T10:00:00Z")
    rec["tool_recordings"][0]["result"] = "an albatross"
    path = _write(root, "old.json", rec)
    os.utime(path, ns=(1, 1))
    assert _find(root, cache, "flamingo") == []
    assert [h.path for h in _find(root, cache, "albatross")] == ["old.json"]


def test_one_changed_file_updates_only_that_file(root: Path, cache: Path) -> None:
    index = SearchIndex(cache, root)
    index.sync()
    rec = _run("run-old", "2026-11-20T10:00:00Z")
    rec["stages"][0]["metadata"]["prompt"] = "a pelican"
    _write(root, "old.json", rec)
    assert index.update_paths([root / "old.json"]) == ["old.json"]
    stats = index.sync()
    assert (stats.indexed, stats.unchanged) == (0, 2)


def test_a_deleted_run_leaves_the_index(root: Path, cache: Path) -> None:
    assert {h.path for h in _find(root, cache, "flamingo")} == {"old.json"}
    (root / "old.json").unlink()
    assert _find(root, cache, "flamingo") == []


def test_a_corrupt_run_file_is_skipped(root: Path, cache: Path) -> None:
    (root / "broken.json").write_text('{"_type": "run_record", "id": ')
    assert {h.path for h in _find(root, cache, "flamingo")} == {"old.json"}


def test_a_file_rewritten_mid_index_is_retried(root: Path, cache: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = search_index.extract_file

    def racing(path: Path) -> Any:
        out = real(path)
        if path.name == "old.json":  # the writer replaces the file after it was read
            rec = _run("run-old", "2026-11-20T10:00:00Z")
            rec["stages"][0]["metadata"]["prompt"] = "a narwhal appeared"
            _write(root, "old.json", rec)
        return out

    monkeypatch.setattr(search_index, "extract_file", racing)
    _find(root, cache, "flamingo")
    monkeypatch.setattr(search_index, "extract_file", real)
    assert [h.path for h in _find(root, cache, "narwhal")] == ["old.json"]


def test_a_corrupt_or_foreign_index_is_rebuilt(root: Path, cache: Path) -> None:
    index = SearchIndex(cache, root)
    index.sync()
    index.close()
    index.path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(index.path) + suffix).unlink(missing_ok=True)
    assert [h.path for h in _find(root, cache, "flamingo")] == ["old.json"]
    conn = sqlite3.connect(index.path)
    conn.execute("UPDATE meta SET value = '/somewhere/else' WHERE key = 'root'")
    conn.commit()
    conn.close()
    again = SearchIndex(cache, root)
    assert again.known() == {}  # foreign: started afresh
    again.close()


# -- the event log ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "file"])
def test_agent_events_are_indexed_incrementally(root: Path, cache: Path, tmp_path: Path,
                                                backend: str) -> None:
    topic = "observability.agent_events.session-run-old"
    builder = LogBuilder(tmp_path / "log", backend)
    (tmp_path / "log").mkdir()
    builder.add(topic, "agent_message", {"event": {"type": "agent_message",
                                                   "text": "the ocelot is ready"}},
                {"session_id": "session-run-old"})
    log = builder.open()
    (hit,) = _find(root, cache, "ocelot", log=log)
    assert (hit.run_id, hit.path, hit.field) == ("run-old", "old.json", "message")
    assert (hit.location.source, hit.location.event_id, hit.topic) == ("event", 1, topic)
    log.close()
    for leftover in (tmp_path / "log").glob("events.sqlite*"):
        leftover.unlink()
    builder.add(topic, "agent_message", {"event": {"type": "agent_message", "text": "an ibis"}},
                {"session_id": "session-run-old"})
    log = builder.open()
    index = SearchIndex(cache, root)
    assert index.poll_events(log) == 1  # only the new row is read
    log.close()
    index.close()
    assert [h.location.event_id for h in _find(root, cache, "ibis")] == [2]


# -- grep ----------------------------------------------------------------------------


def test_grep_lines_mark_the_match_and_escape_controls(root: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rec = _run("run-esc", "2026-11-22T10:00:00Z")
    rec["stages"][0]["metadata"]["prompt"] = "pelican \x1b[31mred\x1b[0m\nsecond line"
    _write(root, "esc.json", rec)
    assert cli.main(["grep", "pelican", str(root)]) == 0
    out = capsys.readouterr().out
    (line,) = out.splitlines()
    assert "\x1b" not in line and "\\x1b[31mred" in line and "\\n" in line
    assert line.startswith("run-esc  esc.json  stage 1 › prompt [prompt]: «pelican» ")


def test_grep_json_shape(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["grep", '"permission denied"', str(root), "--json", "--limit", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    obj = json.loads(line)
    assert set(obj) == {"run_id", "path", "location", "field", "snippet", "match_start",
                        "match_end"}
    assert (obj["run_id"], obj["path"], obj["field"]) == ("run-new", "nightly/new.json", "error")
    assert obj["location"]["pointer"] == "/stages/0/attempts/0/error"
    assert (obj["location"]["stage"], obj["location"]["attempt"]) == (0, 0)
    assert obj["snippet"][obj["match_start"]:obj["match_end"]] == "permission denied"


def test_grep_options_and_exit_codes(root: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["grep", "canary", str(root), "--in", "hitl", "--where", "status=failed",
                     "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["run_id"], r["field"]) for r in rows] == [("run-old", "hitl")]
    assert cli.main(["grep", "nothing-like-this", str(root)]) == 0
    assert "no matches" in capsys.readouterr().err
    assert cli.main(["grep", "x", str(tmp_path / "missing")]) == 2
    assert cli.main(["grep", "x", str(root), "--where", "bogus=1"]) == 2
    assert cli.main(["grep", "x", str(root), "--in", "bogus"]) == 2
    assert cli.main(["grep", "(", str(root), "--regex"]) == 2
    capsys.readouterr()
    assert cli.main(["grep", r"(\w+\s?)+\$", str(root), "--regex", "--timeout", "0.3"]) == 1
    assert "stopped after" in capsys.readouterr().err


@pytest.mark.parametrize("text", ['a "b c" d', 'text~"x y" in:tool', "'q' x\\y", 'a"b\\"c"d',
                                  "  spaced   out  ", 'status=failed "mismatched types"'])
def test_search_reads_terms_with_the_query_languages_tokenizer(text: str) -> None:
    from harn_tui.core.analysis import query as language
    from harn_tui.core.search import query as search

    search.parse_search(text)  # every quoting form the language accepts parses
    language.tokenize(text)


def test_an_unterminated_quote_in_a_search_names_the_term() -> None:
    from harn_tui.core.analysis.query import QueryError
    from harn_tui.core.search.query import parse_search

    with pytest.raises(QueryError, match="unterminated quote in 'deploy\"ing'"):
        parse_search('x deploy"ing')


def test_a_sidecar_change_reindexes_its_run(root: Path, cache: Path) -> None:
    index = SearchIndex(cache, root)
    index.sync()
    side = root / "nightly" / "new-llm" / "llm_transcript.jsonl"
    side.write_text(json.dumps({"type": "x", "text": "a wombat"}) + "\n")
    assert index.update_paths([side]) == ["nightly/new.json"]
    index.close()
    assert [h.path for h in _find(root, cache, "wombat")] == ["nightly/new.json"]
    assert _find(root, cache, "quokka") == []


def test_ls_where_text_uses_the_index(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ls", str(root), "--json", "--where", 'text~"hook declined the flam"']) == 0
    assert [r["path"] for r in json.loads(capsys.readouterr().out)] == ["old.json"]
    assert cli.main(["ls", str(root), "--json", "--where", 'status=completed text~"quokka"']) == 0
    assert [r["path"] for r in json.loads(capsys.readouterr().out)] == ["nightly/new.json"]


@pytest.mark.parametrize("extra", [[], ["--regex"], ["--where", "status=failed"]])
def test_grep_never_imports_textual(root: Path, extra: list[str]) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from harn_tui.cli import main\n"
        f"rc = main(['grep', 'canary', {str(root)!r}, '--json', *{extra!r}])\n"
        "assert rc == 0, rc\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')"
        " or m == 'rich' or m.startswith('rich.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["field"] in ("prompt", "hitl")


def test_the_process_pool_indexes_like_one_process(root: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(6):
        _write(root, f"more/run{i}.json", _run(f"run-{i}", f"2026-11-1{i}T10:00:00Z"))
    serial = SearchIndex(tmp_path / "serial", root, workers=1)
    serial.sync()
    monkeypatch.setattr(search_index, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(search_index, "BATCH", 3)
    pooled = SearchIndex(tmp_path / "pooled", root, workers=2)
    assert pooled.sync().indexed == 8
    query = "SELECT rowid, text, field FROM docs ORDER BY rowid"
    by_rel = "SELECT rel, id FROM files ORDER BY rel"
    assert [r[0] for r in serial.conn.execute(by_rel)] == [r[0] for r in pooled.conn.execute(by_rel)]
    assert len(serial.conn.execute(query).fetchall()) == len(pooled.conn.execute(query).fetchall())
    for conn in (serial.conn, pooled.conn):
        assert sorted(h.path for h in run_search(conn, parse_search("flamingo"))) == sorted(
            ["old.json", *(f"more/run{i}.json" for i in range(6))])


def test_substrings_with_like_wildcards_and_short_ones(root: Path, cache: Path) -> None:
    rec = _run("run-pct", "2026-11-23T10:00:00Z")
    rec["stages"][0]["metadata"]["prompt"] = "progress 50%_done on /var/run/sock"
    _write(root, "pct.json", rec)
    assert [h.path for h in _find(root, cache, 'text~"50%_do"')] == ["pct.json"]
    assert _find(root, cache, 'text~"50%xdo"') == []  # % and _ are literal, not wildcards
    assert {h.path for h in _find(root, cache, "*r/run/so*")} == {"pct.json", "old.json",
                                                                 "nightly/new.json"}
    short = {h.text for h in _find(root, cache, "*%_*")}  # too short for trigrams: a scan
    assert short == {"progress 50%_done on /var/run/sock"}


def test_a_giant_sidecar_is_indexed_as_a_stream(tmp_path: Path) -> None:
    """The sidecar is read line by line: peak memory while indexing stays a small fraction of
    its size (reading it whole would hold every line and its parse at once)."""
    import tracemalloc

    from harn_tui.core.demo.large import MB, write_long_sidecar

    run = tmp_path / "run.json"
    run.write_bytes(json.dumps(_run("big", "2026-01-01T00:00:00Z")).encode())
    lines = write_long_sidecar(tmp_path / "run-llm" / "llm_transcript.jsonl", 8 * MB)
    tracemalloc.start()
    try:
        facts, pieces = search_index.extract_file(run)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert facts["error"] is None
    assert sum(len(p.locs) for p in pieces if p.locs[0].startswith("s")) >= lines
    assert peak < 4 * MB, f"peak {peak / MB:.1f} MB for an 8 MB sidecar"


def test_a_sidecar_that_appears_changes_or_goes_is_followed(root: Path, cache: Path) -> None:
    """The sync stats a sidecar only where the walk met its `<stem>-llm/` folder; one that
    appears later, grows or is removed is still seen (at the root and in nested folders)."""
    assert _find(root, cache, "quokka") and not _find(root, cache, "wombat")
    for rel in ("old-llm", "nightly/new-llm"):
        side = root / rel / "llm_transcript.jsonl"
        side.parent.mkdir(exist_ok=True)
        side.write_text(json.dumps({"type": "provider_call_response",
                                    "response": {"text": f"a wombat in {rel}"}}) + "\n")
    assert {h.path for h in _find(root, cache, "wombat")} == {"old.json", "nightly/new.json"}
    assert not _find(root, cache, "quokka")
    import shutil

    shutil.rmtree(root / "old-llm")
    assert {h.path for h in _find(root, cache, "wombat")} == {"nightly/new.json"}


@pytest.mark.parametrize("pooled", [False, True])
def test_a_cancelled_sync_stops_after_its_batch_and_the_next_goes_on(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled: bool) -> None:
    """Quitting the explorer while it indexes: sync returns after the batch it is writing,
    keeps what it wrote, and the next sync indexes only the rest."""
    for i in range(10):
        _write(root, f"more/run{i}.json", _run(f"run-{i}", f"2026-11-1{i % 10}T10:00:00Z"))
    monkeypatch.setattr(search_index, "BATCH", 3)
    if pooled:
        monkeypatch.setattr(search_index, "POOL_THRESHOLD", 2)
    index = SearchIndex(tmp_path / "c", root, workers=2)
    stats = index.sync(on_progress=lambda done, total: index.cancel())
    assert stats.indexed == 3  # one batch of the 12 files
    index.close()
    again = SearchIndex(tmp_path / "c", root, workers=2)
    rest = again.sync()
    assert (rest.unchanged, rest.indexed) == (3, 9)


def test_batches_are_cut_by_count_and_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_index, "BATCH", 3)
    monkeypatch.setattr(search_index, "BATCH_BYTES", 100)
    todo = [(f"r{i}", f"/r{i}", size, 0, "") for i, size in enumerate([10, 10, 10, 10, 60, 50, 500, 1])]
    cut = [[item[0] for item in batch] for batch in search_index._batches(todo)]
    assert cut == [["r0", "r1", "r2"], ["r3", "r4"], ["r5"], ["r6"], ["r7"]]
    assert search_index._batches([]) == []


def test_every_term_is_marked_not_only_the_first(root: Path, cache: Path) -> None:
    rec = _run("run-marks", "2026-11-24T10:00:00Z")
    rec["stages"][0]["metadata"]["prompt"] = (
        "the heron met a crane; later the heron flew off while a quiet crane waited")
    _write(root, "marks.json", rec)
    [hit] = _find(root, cache, "crane heron")
    snippet, marks = hit.marked_snippet()
    assert [snippet[a:b] for a, b in marks] == ["heron", "crane", "heron", "crane"]
    assert snippet[hit.snippet()[1]:hit.snippet()[2]] == "heron"  # the JSON's span: the first
    line = cli.format_hit(hit)
    assert line.count("«") == 4 and "«heron» met a «crane»" in line
    [phrase] = _find(root, cache, "quiet crane waited")
    snippet, marks = phrase.marked_snippet()
    assert [snippet[a:b] for a, b in marks] == ["crane", "quiet crane waited"]  # neighbours: one


def test_marks_beyond_the_snippet_are_left_out(root: Path, cache: Path) -> None:
    rec = _run("run-far", "2026-11-24T11:00:00Z")
    rec["stages"][0]["metadata"]["prompt"] = "grebe " + "x " * 400 + "grebe at the end"
    _write(root, "far.json", rec)
    [hit] = _find(root, cache, "grebe")
    snippet, marks = hit.marked_snippet(60)
    assert [snippet[a:b] for a, b in marks] == ["grebe"] and len(snippet) <= 61


def test_a_file_name_that_is_not_utf8_is_indexed_found_and_printed(
        root: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = os.fsdecode(b"odd-\xff.json")  # a surrogate: SQLite and JSON cannot hold it as is
    rec = _run("run-odd", "2026-11-23T10:00:00Z")
    rec["tool_recordings"][0]["result"] = "a wombat in the pipeline"
    _write(root, name, rec)
    assert {h.path for h in _find(root, cache, "wombat")} == {name}
    assert cli.main(["grep", "wombat", str(root), "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["path"] == "odd-\ufffd.json"
    assert cli.main(["grep", "wombat", str(root)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("run-odd  odd-") and "\udcff" not in line
    # a watcher's change re-indexes it in place; the next sync finds nothing to do
    rec["tool_recordings"][0]["result"] = "a platypus in the pipeline"
    _write(root, name, rec)
    index = SearchIndex(cache, root)
    assert index.update_paths([root / name]) == [name]
    assert index.sync().indexed == 0
    assert where_paths(root, 'text~"platypus"', cache, index) == {name}
    index.close()
    assert {h.path for h in _find(root, cache, "platypus")} == {name}
    assert _find(root, cache, "wombat") == []


def test_sync_pauses_before_writing_each_file(root: Path, cache: Path) -> None:
    calls: list[int] = []
    index = SearchIndex(cache, root)
    stats = index.sync(pause=lambda: calls.append(1))
    assert stats.indexed == 2 and len(calls) == 2  # the app holds the writer there while in use
    assert index.sync(pause=lambda: calls.append(1)).indexed == 0 and len(calls) == 2
    index.close()
