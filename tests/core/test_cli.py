"""The headless commands `harn-tui ls` / `harn-tui show` (issue 2's contract)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harn_tui import __version__
from harn_tui.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"
EXAMPLE_IDS = {"merge-captain-smoke", "oncall-captain-smoke", "review-captain-smoke"}

LS_REQUIRED = {
    "id",
    "path",
    "workflow_id",
    "workflow_name",
    "status",
    "started_at",
    "started_at_ms",
    "finished_at_ms",
    "duration_ms",
    "stage_count",
    "child_run_count",
    "hitl_question_count",
    "failure",
    "usage",
    "error",
}


@pytest.fixture(autouse=True)
def _in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No harn.toml / .harn / .harn-runs of the developer's own can leak in.
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def write_run(path: Path, run_id: str, mtime_s: int | None = None, **fields: Any) -> Path:
    data: dict[str, Any] = {
        "_type": "run_record",
        "id": run_id,
        "workflow_id": "wf",
        "status": "completed",
    }
    data.update(fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    if mtime_s is not None:
        os.utime(path, (mtime_s, mtime_s))
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A run root holding the real examples plus runs in every timestamp format."""
    root = tmp_path / "runs"
    shutil.copytree(EXAMPLES, root / "examples", ignore=shutil.ignore_patterns("more"))
    for i, path in enumerate(sorted((root / "examples").iterdir())):
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
    write_run(
        root / "uuid.json",
        "run-uuid",
        workflow_name="deploy",
        status="failed",
        started_at="019db3ff-0000-7000-8000-000000000000",  # 2026-04-22 ~04:xx
        stages=[
            {
                "node_id": "verify",
                "status": "failed",
                "outcome": "verification_failed",
                "metadata": {"error": "tests still fail"},
            }
        ],
        usage={"input_tokens": 812, "output_tokens": 96, "call_count": 1, "models": ["mock-1"]},
    )
    write_run(
        root / "nested" / "secs.json",
        "run-secs",
        workflow_name="deploy",
        status="running",
        started_at="1714460000",  # 2024
        pending_nodes=["b"],
    )
    write_run(
        root / "nested" / "millis.json",
        "run-millis",
        workflow_name="review",
        status="cancelled",
        started_at="1800000000.250",  # 2027: newest
        finished_at="1800000002.250",
        stages=[{"node_id": "gatekeeper", "status": "cancelled", "outcome": "aborted"}],
    )
    write_run(root / "unparsed.json", "run-unparsed", status="running", started_at="yesterday-ish")
    (root / "broken.json").write_text('{"_type": "run_record", "id": "trunc')
    (root / "launch.json").write_text('{"mode": "agent"}')
    (root / "run.json.tmp").write_text("{")
    return root


def _only_no_log_note(err: str) -> bool:
    """stderr holds at most the one line saying no event log was found (and the flag)."""
    return err == "" or (
        err.count("\n") == 1 and err.startswith("harn-tui: no event log found") and "--events PATH" in err
    )


def run_ls(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["ls", *args])
    out, err = capsys.readouterr()
    return code, out, err


def ls_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    code, out, err = run_ls(capsys, *args, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def assert_clean_failure(err: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "expected a reason on stderr"
    assert lines[-1].startswith(("harn-tui", "usage")), err


# -- version and help --------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"harn-tui {__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["ls", "--help"], ["show", "--help"]])
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: harn-tui")
    if argv == ["--help"]:
        assert "harn-tui ls" in out and "harn-tui show" in out
    if argv[0] == "ls":
        for flag in (
            "--json",
            "--status",
            "--workflow",
            "--query",
            "--sort",
            "--limit",
            "--events",
        ):
            assert flag in out


# -- ls -------------------------------------------------------------------------------------------


def test_ls_json_fields(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = ls_json(capsys, str(root))
    by_path = {r["path"]: r for r in rows}
    assert set(by_path) == {
        "examples/merge_captain_smoke.run.json",
        "examples/oncall_captain_smoke.run.json",
        "examples/review_captain_smoke.run.json",
        "uuid.json",
        "nested/secs.json",
        "nested/millis.json",
        "unparsed.json",
        "broken.json",
    }
    for row in rows:
        assert set(row) >= LS_REQUIRED, row["path"]
        assert {"input_tokens", "output_tokens", "call_count", "models"} <= set(row["usage"])

    merge = by_path["examples/merge_captain_smoke.run.json"]
    assert merge["id"] == "merge-captain-smoke"
    assert merge["workflow_id"] == "run" and merge["workflow_name"] == "merge_captain"
    assert merge["status"] == "completed"
    assert merge["started_at"] == "2026-04-22T00:00:00Z"
    assert merge["started_at_ms"] == 1776816000000
    assert merge["finished_at_ms"] == 1776816001000
    assert merge["duration_ms"] == 1000
    assert (merge["stage_count"], merge["child_run_count"], merge["hitl_question_count"]) == (
        1,
        0,
        0,
    )
    assert merge["failure"] is None and merge["error"] is None

    uuid = by_path["uuid.json"]
    assert uuid["started_at"] == "019db3ff-0000-7000-8000-000000000000"
    assert uuid["started_at_ms"] == 0x019DB3FF0000
    assert uuid["failure"] == "verify failed: tests still fail"
    assert uuid["usage"]["input_tokens"] == 812 and uuid["usage"]["models"] == ["mock-1"]
    assert uuid["workflow_name"] == "deploy"

    secs = by_path["nested/secs.json"]
    assert secs["started_at_ms"] == 1714460000000 and secs["finished_at_ms"] is None
    assert by_path["nested/millis.json"]["duration_ms"] == 2000
    assert by_path["unparsed.json"]["started_at"] == "yesterday-ish"
    assert by_path["unparsed.json"]["started_at_ms"] is None

    bad = by_path["broken.json"]
    assert bad["error"].startswith("truncated JSON")
    assert bad["id"] == ""


def test_ls_default_order_is_newest_parsed_start_then_mtime(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ls_json(capsys, str(root))
    paths = [r["path"] for r in rows]
    # 2027 (secs.millis) > 2026-04-22 04:xx (UUIDv7) > 2026-04-22 00:00 (RFC3339, three-way
    # tie broken by file mtime, newest first) > 2024 (unix seconds) > unparsed and broken
    assert paths[:6] == [
        "nested/millis.json",
        "uuid.json",
        "examples/review_captain_smoke.run.json",
        "examples/oncall_captain_smoke.run.json",
        "examples/merge_captain_smoke.run.json",
        "nested/secs.json",
    ]
    assert set(paths[6:]) == {"unparsed.json", "broken.json"}
    # string order would put "yesterday-ish" and the UUID elsewhere: make sure we did not
    raw_order = sorted(rows, key=lambda r: r["started_at"] or "", reverse=True)
    assert [r["path"] for r in raw_order] != paths


def test_ls_mtime_tie_break_follows_the_files(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = root / "examples"
    os.utime(examples / "merge_captain_smoke.run.json", (1_800_000_000, 1_800_000_000))
    rows = ls_json(capsys, str(examples))
    assert [r["id"] for r in rows] == [
        "merge-captain-smoke",
        "review-captain-smoke",
        "oncall-captain-smoke",
    ]


def test_ls_sort_oldest_and_duration(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    oldest = [r["path"] for r in ls_json(capsys, str(root), "--sort", "oldest")]
    assert oldest[0] == "nested/secs.json"
    assert oldest[4] == "uuid.json" and oldest[5] == "nested/millis.json"
    assert set(oldest[6:]) == {"unparsed.json", "broken.json"}
    by_duration = [r["path"] for r in ls_json(capsys, str(root), "--sort", "duration")]
    assert by_duration[0] == "nested/millis.json"  # 2000 ms
    assert by_duration[1:4] == [
        "examples/review_captain_smoke.run.json",
        "examples/oncall_captain_smoke.run.json",
        "examples/merge_captain_smoke.run.json",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--status", "failed"], {"uuid.json", "nested/millis.json"}),
        (["--status", "active"], {"nested/secs.json", "unparsed.json"}),
        (
            ["--status", "completed"],
            {
                "examples/merge_captain_smoke.run.json",
                "examples/oncall_captain_smoke.run.json",
                "examples/review_captain_smoke.run.json",
            },
        ),
        (["--workflow", "deploy"], {"uuid.json", "nested/secs.json"}),
        (["--workflow", "deplo"], set()),
        (["--workflow", "merge_captain"], {"examples/merge_captain_smoke.run.json"}),
        (["-q", "TESTS STILL"], {"uuid.json"}),  # failure summary
        (["-q", "gatekeeper"], {"nested/millis.json"}),  # last node id
        (["-q", "MOCK-1"], {"uuid.json"}),  # models
        (["--query", "nested/"], {"nested/secs.json", "nested/millis.json"}),  # path
        (["-q", "cancelled"], {"nested/millis.json"}),  # status
        (["-q", "oncall_capt"], {"examples/oncall_captain_smoke.run.json"}),  # workflow name
        (["--status", "failed", "--workflow", "deploy"], {"uuid.json"}),
    ],
)
def test_ls_filters(
    root: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: set[str]
) -> None:
    assert {r["path"] for r in ls_json(capsys, str(root), *args)} == expected


def test_ls_limit(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = ls_json(capsys, str(root), "--limit", "2")
    assert [r["path"] for r in rows] == ["nested/millis.json", "uuid.json"]
    assert ls_json(capsys, str(root), "--limit", "0") == []


def test_ls_table_is_aligned(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_ls(capsys, str(root))
    assert code == 0 and _only_no_log_note(err)
    lines = out.rstrip("\n").split("\n")
    header = lines[0]
    assert len(lines) == 1 + 8
    columns = ["STATUS", "WORKFLOW", "RUN", "STARTED", "DURATION", "STAGES", "FAILURE / PATH"]
    starts = [header.index(name) for name in columns]
    assert starts == sorted(starts)
    rows = lines[1:]
    good = [row for row in rows if " broken " not in row]
    assert len(good) == 7
    always_filled = [header.index(name) for name in ("WORKFLOW", "RUN", "STARTED", "STAGES")]
    for row in good:
        for start in always_filled:
            # every column starts where its header starts, after a separating space
            assert row[start - 1] == " " and row[start] != " ", (row, start)
    first = rows[0]
    assert first[header.index("WORKFLOW") :].startswith("review ")
    assert first[header.index("RUN") :].startswith("run-millis ")
    assert first[header.index("STARTED") :].startswith("2027-01-15 08:00:00")
    uuid_row = next(row for row in rows if "run-uuid" in row)
    assert uuid_row.startswith("✗")
    assert "verify failed: tests still fail" in uuid_row
    assert "812/96" in uuid_row
    broken_row = next(row for row in rows if " broken " in row)
    assert broken_row.startswith("!") and "broken.json: truncated JSON" in broken_row
    assert "yesterday-ish" in next(row for row in rows if "run-unparsed" in row)


def test_ls_empty_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert run_ls(capsys, str(tmp_path / "empty"))[:2] == (0, "no runs\n")
    assert ls_json(capsys, str(tmp_path / "empty")) == []


def test_ls_uses_harn_run_dir(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARN_RUN_DIR", str(root / "examples"))
    assert {r["id"] for r in ls_json(capsys)} == EXAMPLE_IDS


def test_ls_defaults_to_dot_harn_runs(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES, Path.cwd() / ".harn-runs", ignore=shutil.ignore_patterns("more"))
    assert {r["id"] for r in ls_json(capsys)} == EXAMPLE_IDS


def test_ls_writes_cache_under_harn_tui_cache_dir(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = Path(os.environ["HARN_TUI_CACHE_DIR"])
    ls_json(capsys, str(root))
    assert [p.name for p in cache.iterdir() if p.name.startswith("index-")]
    assert not any("index-" in p.name for p in root.rglob("*"))
    # --no-cache neither reads nor writes it
    for p in cache.iterdir():
        p.unlink()
    ls_json(capsys, str(root), "--no-cache")
    assert list(cache.iterdir()) == []


def test_ls_missing_dir_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_ls(capsys, str(tmp_path / "nope"))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("harn-tui: no run directory at ")
    assert str(tmp_path / "nope") in err


def test_ls_default_dir_missing_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_ls(capsys)
    assert code == 2
    assert ".harn-runs" in err and "HARN_RUN_DIR" in err
    assert err.count("\n") == 1


def test_ls_on_a_run_file_lists_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_ls(capsys, str(EXAMPLES / "merge_captain_smoke.run.json"))
    assert code == 0 and "merge-captain-smoke" in out and _only_no_log_note(err)


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "--bogus"],
        ["ls", "--status", "weird"],
        ["ls", "--sort", "sideways"],
        ["ls", "--limit", "-1"],
        ["ls", "--limit", "many"],
        ["show"],
        ["show", "x", "--nope"],
    ],
)
def test_bad_flags_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "error:" in err
    assert_clean_failure(err)


def test_ls_bad_events_path_exits_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_ls(capsys, str(root), "--events", str(root / "no-such.sqlite"))
    assert code == 2
    assert err.startswith("harn-tui: --events: ") and err.count("\n") == 1


# -- control characters ------------------------------------------------------------------------------


def test_control_characters_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "evil"
    evil = "\x1b[31mred\x1b]0;title\x07\u202eevil\x9b"
    write_run(
        root / "evil.json",
        f"id{evil}",
        workflow_name=f"wf{evil}",
        task=f"task {evil}\nsecond line",
        status=f"st{evil}",
        started_at=f"when{evil}",
        stages=[{"node_id": f"n{evil}", "status": "failed", "metadata": {"error": evil}}],
    )
    for args in (["ls", str(root)], ["show", str(root / "evil.json")]):
        assert main(args) == 0
        out, _ = capsys.readouterr()
        for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert raw not in out, (args, raw)
        assert "\\x1b[31mred" in out
    # JSON output escapes them as JSON does
    assert main(["ls", str(root), "--json"]) == 0
    out, _ = capsys.readouterr()
    assert "\x1b" not in out
    assert json.loads(out)[0]["task"].startswith("task \x1b[31mred")


# -- show -----------------------------------------------------------------------------------------------


def test_show_by_path(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "review_captain_smoke.run.json"
    assert main(["show", str(path)]) == 0
    out, err = capsys.readouterr()
    assert _only_no_log_note(err)
    first = out.splitlines()[0]
    assert "review_captain" in first and "[completed]" in first and "review-captain-smoke" in first
    assert "started   2026-04-22 00:00:00 UTC" in out
    assert "duration  1.0s" in out
    assert "Stages (1)" in out and "Child runs (0)" in out and "Model turns (0)" in out


def test_show_by_id_with_root(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "run-uuid", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "deploy" in out and "run-uuid" in out
    assert "failure   verify failed: tests still fail" in out
    # a path relative to the root works as an id too
    assert main(["show", "nested/secs.json", "--root", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "run-secs"


def test_show_by_id_under_harn_run_dir(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARN_RUN_DIR", str(EXAMPLES))
    assert main(["show", "oncall-captain-smoke", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["workflow_name"] == "oncall_captain"


def test_show_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "merge_captain_smoke.run.json"
    assert main(["show", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # Harn's own key names with defaults filled
    for key in (
        "_type",
        "id",
        "workflow_id",
        "workflow_name",
        "stages",
        "transitions",
        "checkpoints",
        "child_runs",
        "artifacts",
        "handoffs",
        "policy",
        "execution",
        "transcript",
        "usage",
        "replay_fixture",
        "observability",
        "trace_spans",
        "tool_recordings",
        "hitl_questions",
        "metadata",
        "persisted_path",
    ):
        assert key in doc, key
    assert doc["_type"] == "run_record" and doc["id"] == "merge-captain-smoke"
    assert doc["stages"][0]["attempts"] == [] and doc["stages"][0]["branch"] is None
    assert doc["replay_fixture"]["id"] == "merge-captain-smoke-fixture"
    assert doc["metadata"]["persona"] == "merge_captain"
    assert doc["persisted_path"] == str(path.resolve())  # paths are resolved once, at the edge
    # plus the derived views
    assert doc["compaction_events"] == []
    assert doc["daemon_events"] == []
    assert doc["agent_sessions"] == {}
    assert doc["model_turns"] == []


def test_show_json_with_sidecar_and_compaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_file = write_run(
        tmp_path / "r" / "run.json",
        "r1",
        transcript={
            "id": "t",
            "events": [{"id": "c1", "kind": "compaction", "metadata": {"snapshot_asset_id": "s1"}}],
            "assets": [{"id": "s1"}],
        },
    )
    sidecar = run_file.parent / "run-llm" / "llm_transcript.jsonl"
    sidecar.parent.mkdir()
    sidecar.write_text(
        '{"type":"message","role":"user","content":"hi"}\n'
        '{"type":"provider_call_request","call_id":"c","model":"m","provider":"p"}\n'
        '{"type":"provider_call_response","call_id":"c","text":"yo","input_tokens":3,"output_tokens":1}\n'
        '{"type":"daemon_event","daemon_id":"d","name":"n","kind":"stopped"}\n'
    )
    assert main(["show", str(run_file), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(c["id"], c["available"]) for c in doc["compaction_events"]] == [("c1", True)]
    assert doc["compaction_events"][0]["snapshot_location"] == "run.transcript.assets[s1]"
    assert [(d["daemon_id"], d["kind"]) for d in doc["daemon_events"]] == [("d", "stopped")]
    (turn,) = doc["model_turns"]
    assert (turn["model"], turn["provider"], turn["added_messages"]) == ("m", "p", 1)
    assert (turn["input_tokens"], turn["output_tokens"], turn["response_text"]) == (3, 1, "yo")


def test_show_unknown_id_exits_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "no-such-run", "--root", str(root)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"harn-tui: no run with id, id prefix or path 'no-such-run' under {root}\n"


def test_show_broken_id_is_not_found(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a broken file has no id: asking for its id finds nothing
    assert main(["show", "trunc", "--root", str(root)]) == 2
    assert_clean_failure(capsys.readouterr().err)


def test_show_without_any_root_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "some-id"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("harn-tui: no run file 'some-id'")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"_type": "run_record", "id": "x", "stag', "truncated JSON"),
        (b'{"task": "\xff"}', "invalid UTF-8 at byte"),
        (b"\x00\x01\x02", "binary file, not JSON"),
        (b"[1, 2]", "top-level JSON is array, not an object"),
        (b"[" * 5000, "nesting too deep"),
        (b"", "empty file"),
    ],
)
def test_show_broken_file_by_path_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    for extra in ([], ["--json"]):
        assert main(["show", str(path), *extra]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(f"harn-tui: {path}: {reason}")
        assert err.count("\n") == 1 and "Traceback" not in err


def test_show_json_of_deeply_nested_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # deeper than orjson serializes (255) but within what the loader accepts
    depth = 600
    path = tmp_path / "deep.json"
    path.write_text(
        '{"_type": "run_record", "id": "deep", "metadata": {"x": '
        + "[" * depth
        + "1"
        + "]" * depth
        + "}}"
    )
    assert main(["show", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert _only_no_log_note(err)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    try:
        doc = json.loads(out)
    finally:
        sys.setrecursionlimit(limit)
    assert doc["id"] == "deep"
    value = doc["metadata"]["x"]
    for _ in range(depth):
        value = value[0]
    assert value == 1


# -- real processes --------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harn_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_console_script_version() -> None:
    script = Path(sys.executable).parent / "harn-tui"
    assert script.is_file(), "the harn-tui console script is installed next to python"
    proc = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"harn-tui {__version__}"


def test_subprocess_ls_json_and_exit_codes(root: Path) -> None:
    proc = run_cli("ls", str(root), "--json", "--status", "completed")
    assert proc.returncode == 0, proc.stderr
    assert {r["id"] for r in json.loads(proc.stdout)} == EXAMPLE_IDS

    missing = run_cli("ls", str(root / "missing"))
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert missing.stderr.startswith("harn-tui: no run directory at ")
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr

    bad = run_cli("show", str(root / "broken.json"))
    assert bad.returncode == 1
    assert "truncated JSON" in bad.stderr and "Traceback" not in bad.stderr

    unknown = run_cli("show", "nope", "--root", str(root))
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr


def test_subprocess_show_json(root: Path) -> None:
    proc = run_cli("show", "merge-captain-smoke", "--root", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["id"] == "merge-captain-smoke"
    assert {"compaction_events", "daemon_events", "agent_sessions", "model_turns"} <= set(doc)


@pytest.mark.parametrize("command", ["ls", "show", "costs"])
def test_headless_commands_never_import_textual(root: Path, command: str) -> None:
    target = str(root) if command in ("ls", "costs") else str(EXAMPLES / "merge_captain_smoke.run.json")
    code = (
        "import sys\n"
        "from harn_tui.cli import main\n"
        f"rc = main([{command!r}, {target!r}, '--json'])\n"
        "assert rc == 0, rc\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith(("[", "{"))


def test_ls_accepts_one_run_file_as_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ROOT may be a single run file (issue 9.10): `ls RUNFILE` lists just that run."""
    run_file = write_run(tmp_path / "runs" / "one.json", "run-one", status="failed")
    write_run(tmp_path / "runs" / "other.json", "run-other")
    assert main(["ls", str(run_file), "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [(d["id"], d["path"], d["status"]) for d in docs] == [("run-one", "one.json", "failed")]
    assert main(["ls", str(run_file)]) == 0
    out = capsys.readouterr().out
    assert "run-one" in out and "run-other" not in out
    assert main(["show", "run-one", "--root", str(run_file), "--json"]) == 0  # a sibling: show --root RUNFILE
    assert json.loads(capsys.readouterr().out)["id"] == "run-one"
    other = tmp_path / "plain.json"
    other.write_text('{"a": 1}')
    assert main(["ls", str(other)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a run record" in err


def test_ls_where_near_miss_status_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--where status=faild` says "did you mean failed?" (exit 2) instead of `no runs`."""
    write_run(tmp_path / "runs" / "a.json", "a", status="failed")
    assert main(["ls", str(tmp_path / "runs"), "--where", "status=faild"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "did you mean failed?" in captured.err
    assert main(["ls", str(tmp_path / "runs"), "--where", "workflow=faild"]) == 0  # an open set
    assert capsys.readouterr().out == "no runs\n"


LONG_IDS = ("run_01a233e2-38fb-7cff-a16c-c0f4756b6aa1", "run_01a233e2-38fb-7cff-a16c-c0f4756b6bb2")


def test_ls_piped_prints_whole_ids_and_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Output that is not a terminal keeps ids whole (issue 9.9); a terminal table cuts them."""
    from harn_tui.cli import format_table
    from harn_tui.core.index.run_index import RunIndex

    deep = "a-very-long-folder-name-that-goes-on/and-on-and-on/and-still-further-down"
    for run_id in LONG_IDS:
        write_run(tmp_path / "runs" / deep / f"{run_id}.json", run_id)
    assert main(["ls", str(tmp_path / "runs")]) == 0  # capsys: stdout is not a tty
    out = capsys.readouterr().out
    for run_id in LONG_IDS:
        assert run_id in out and f"{deep}/{run_id}.json" in out
    index = RunIndex(tmp_path / "runs")
    cut = format_table(index.scan())
    assert LONG_IDS[0] not in cut and "…" in cut


def test_show_accepts_a_unique_id_prefix_and_names_ambiguous_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "runs"
    for run_id in LONG_IDS:
        write_run(root / f"{run_id}.json", run_id)
    write_run(root / "other.json", "run_99ffff")
    assert main(["show", "run_99", "--root", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "run_99ffff"
    assert main(["show", "run_01a233", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "run id prefix 'run_01a233' matches 2 runs: " in err
    assert LONG_IDS[0] in err and LONG_IDS[1] in err
    assert main(["show", "run_01a233e2-38fb-7cff-a16c-c0f4756b6b", "--root", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == LONG_IDS[1]


def test_show_and_ls_find_the_event_log_of_the_roots_project_from_another_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show RUN --root demo` from elsewhere reads demo/.harn (issue 9.4)."""
    from harn_tui.core.demo.eventlog_writer import EventLogWriter

    demo = tmp_path / "demo"
    write_run(demo / "r.json", "run-r", hitl_questions=[])
    log = EventLogWriter(demo / ".harn", "sqlite")
    for n, (topic, kind) in enumerate((("hitl.questions", "hitl.question_asked"),
                                       ("hitl.approvals", "hitl.approval_requested"))):
        rid = f"hitl_{kind.split('.')[1].split('_')[0]}_{n}"
        log.append(topic, kind, {"request_id": rid, "kind": kind, "agent": "a", "run_id": "run-r",
                                 "requested_at": "2026-11-20T09:30:00Z", "payload": {"prompt": "Ship?"}},
                   {"request_id": rid, "run_id": "run-r"}, 1_790_000_000_000 + n)
    log.close()
    assert main(["show", "run-r", "--root", str(demo)]) == 0  # cwd is an unrelated folder
    out, err = capsys.readouterr()
    assert "HITL requests (2)" in out and err == ""
    assert "[pending] question: Ship?" in out and "[pending] approval: Ship?" in out
    assert main(["show", "run-r", "--root", str(demo), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(r["kind"] for r in doc["hitl_requests"]) == ["approval", "question"]
    assert main(["ls", str(demo), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["hitl_question_count"] >= 1 and err == ""
    shutil.rmtree(demo / ".harn")
    for args in (["show", "run-r", "--root", str(demo)], ["ls", str(demo)]):
        assert main(args) == 0
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no event log found" in err and "--events PATH" in err


def test_show_takes_a_childs_status_from_its_own_run_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The parent's copy says completed; the child's file says failed: the file wins (issue 9.2)."""
    root = tmp_path / "runs"
    write_run(root / "child.json", "run-child", status="failed",
              stages=[{"id": "s", "node_id": "compile", "status": "failed", "outcome": "error",
                       "metadata": {"error": "exit 2"}}])
    write_run(root / "parent.json", "run-parent", child_runs=[
        {"worker_id": "w1", "worker_name": "builder", "task": "build", "status": "completed",
         "run_id": "run-child", "run_path": "child.json"}])
    assert main(["show", "run-parent", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "builder [failed*]" in out and "compile failed: exit 2" in out


def test_unknown_theme_says_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--theme", "nordd", str(EXAMPLES)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown theme 'nordd' (did you mean nord?" in err
# -- a file named explicitly (Harn's load_run_record checks no _type) -----------------------------

HARN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "harn" / "more"


def test_show_named_file_without_type_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # portal-sidecar's run.json is `{}`: Harn's portal still reads it (and its sidecar).
    root = tmp_path / "r"
    shutil.copytree(HARN_FIXTURES / "portal-sidecar", root)
    assert main(["show", str(root / "run.json")]) == 0
    out = capsys.readouterr().out
    assert "note      the file has no _type: read as a run record" in out
    assert main(["show", str(root / "run.json"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["_type"] == "" and doc["derived"]["type_note"] == "the file has no _type"
    assert len(doc["model_turns"]) == 1


def test_portal_scan_lists_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # scan_runs_ignores_non_run_json: launch.json and the invalid ignore.json are not runs.
    root = tmp_path / "scan"
    shutil.copytree(HARN_FIXTURES / "portal-scan", root)
    rows = ls_json(capsys, str(root))
    runs = [r for r in rows if not r.get("error")]
    assert [r["path"] for r in runs] == ["run.json"]
    assert "launch.json" not in {r["path"] for r in rows}
