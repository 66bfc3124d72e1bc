"""Agent sessions written by Harn's legacy JSONL sink (`$HARN_EVENT_LOG_DIR/event_log-<id>.jsonl`)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from harn_tui.cli import main
from harn_tui.core.eventlog.attach import load_run_with_events
from harn_tui.core.eventlog.sessions import legacy_session_dirs, legacy_sessions


def _run(tmp_path: Path, session: str) -> Path:
    path = tmp_path / "runs" / "r.json"
    path.parent.mkdir()
    path.write_bytes(orjson.dumps({
        "_type": "run_record", "id": "r1", "workflow_id": "wf",
        "child_runs": [{"worker_id": "w1", "session_id": session}],
    }))
    return path


def _legacy(folder: Path, session: str, lines: list[dict], name: str | None = None) -> None:
    folder.mkdir(exist_ok=True)
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    (folder / (name or f"event_log-{session}.jsonl")).write_bytes(body)


def test_legacy_sink_dirs_come_from_env() -> None:
    assert legacy_session_dirs({"HARN_EVENT_LOG_DIR": "/x/logs"}, None) == [Path("/x/logs")]
    assert legacy_session_dirs({"HARN_EVENT_LOG_DIR": "  "}, None) == []


def test_linked_session_is_read_from_the_legacy_file(tmp_path: Path) -> None:
    session = "sess-legacy"
    path = _run(tmp_path, session)
    logs = tmp_path / "logs"
    _legacy(logs, session, [
        {"index": 0, "emitted_at_ms": 1776945600000, "frame_depth": None,
         "type": "agent_message_chunk", "session_id": session, "content": "Hello"},
        {"index": 1, "emitted_at_ms": 1776945600100, "frame_depth": None,
         "type": "turn_start", "session_id": session, "iteration": 1},
    ])
    (logs / f"event_log-{session}.jsonl").open("ab").write(b'{"index": 2, "type": "agent_mess')
    detail = load_run_with_events(path, legacy_dirs=[logs])
    events = detail.agent_sessions[session]
    assert [e.kind for e in events] == ["agent_message_chunk", "turn_start"]
    assert events[0].occurred_at_ms == 1776945600000
    assert legacy_sessions([logs], ["other"]) == {}


def test_show_json_finds_legacy_sessions_via_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = "sess-env"
    path = _run(tmp_path, session)
    _legacy(tmp_path / "logs", session, [
        {"index": 0, "emitted_at_ms": 5, "frame_depth": None, "type": "plan", "session_id": session, "plan": []},
    ])
    monkeypatch.setenv("HARN_EVENT_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.chdir(tmp_path)
    assert main(["show", str(path), "--json"]) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert [e["event"]["type"] for e in doc["agent_sessions"][session]] == ["plan"]
