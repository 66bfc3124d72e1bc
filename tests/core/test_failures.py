"""Failure points: failed stages, attempt errors, child runs, failed tool calls, error events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harn_tui.core.analysis.failures import failure_points, portal_failure_stage, stage_errors
from harn_tui.core.eventlog.sessions import SessionEvent
from harn_tui.core.format import derive
from harn_tui.core.format.normalize import load_run

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"


def write_run(tmp_path: Path, **fields: Any) -> Path:
    record: dict[str, Any] = {"_type": "run_record", "id": "run-1", "workflow_id": "wf", "status": "failed"}
    record.update(fields)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record))
    return path


def test_attempt_error_is_a_point_under_its_stage(tmp_path: Path) -> None:
    path = write_run(tmp_path, stages=[
        {"id": "s1", "node_id": "plan", "status": "completed", "outcome": "success"},
        {"id": "s2", "node_id": "act", "status": "failed", "outcome": "error",
         "attempts": [{"attempt": 1, "status": "failed", "error": "provider timeout"},
                      {"attempt": 2, "status": "completed", "error": None}]},
    ])
    detail = load_run(path, root=tmp_path)
    points = failure_points(detail)
    assert [(p.kind, p.stage_index, p.attempt_index) for p in points] == [("stage", 1, None), ("attempt", 1, 0)]
    assert points[0].message == derive.failure_summary(detail.normalized) == "act failed: provider timeout"
    assert points[1].message == "provider timeout" and points[1].pane == "stages"
    assert portal_failure_stage(detail.normalized) == 1
    assert stage_errors(detail.normalized["stages"][1]) == ["attempt 1: provider timeout"]


def test_stage_error_metadata_comes_first(tmp_path: Path) -> None:
    path = write_run(tmp_path, stages=[
        {"id": "s1", "node_id": "verify", "status": "completed", "outcome": "failed",
         "metadata": {"error": {"code": 1, "why": "x"}}, "attempts": [{"attempt": 1, "error": "boom"}]},
    ])
    detail = load_run(path, root=tmp_path)
    assert stage_errors(detail.normalized["stages"][0]) == ["2 fields", "attempt 1: boom"]
    assert failure_points(detail)[0].message == "verify failed: 2 fields"


def _session(*events: dict[str, Any]) -> list[SessionEvent]:
    return [SessionEvent(i + 1, 1000 + i, e, e["type"]) for i, e in enumerate(events)]


def test_failed_tool_call_and_error_event_from_agent_sessions(tmp_path: Path) -> None:
    path = write_run(tmp_path, status="completed", stages=[{"id": "s", "node_id": "act", "status": "completed"}])
    detail = load_run(path, root=tmp_path)
    detail.agent_sessions = {"sess-a": _session(
        {"type": "tool_call", "session_id": "sess-a", "tool_call_id": "t1", "tool_name": "write", "status": "pending"},
        {"type": "tool_call_update", "session_id": "sess-a", "tool_call_id": "t1", "tool_name": "write",
         "status": "failed", "error": "permission denied"},
        {"type": "agent_message_chunk", "session_id": "sess-a", "content": "ok"},
        {"type": "budget_exhausted", "session_id": "sess-a", "max_iterations": 3},
    )}
    points = failure_points(detail)
    assert [p.kind for p in points] == ["tool_call", "event"]
    tool, event = points
    assert tool.session == "sess-a" and tool.pane == "replay" and "permission denied" in tool.message
    assert event.row_index is not None and tool.row_index is not None and event.row_index > tool.row_index
    assert "budget exhausted" in event.message


def test_a_clean_run_has_no_points(tmp_path: Path) -> None:
    path = write_run(tmp_path, status="completed", stages=[{"id": "s", "node_id": "act", "status": "completed"}])
    assert failure_points(load_run(path, root=tmp_path)) == []


def test_harn_portal_failure_example() -> None:
    root = EXAMPLES / "more" / "portal-failure"
    detail = load_run(root / "run.json", root=root)
    points = failure_points(detail)
    assert points and points[0].kind == "stage"
    assert points[0].message == "verify failed: assertion failed"
