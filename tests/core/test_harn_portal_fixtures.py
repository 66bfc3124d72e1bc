"""Harn's portal and orchestration test fixtures: every assertion Harn makes on them, here too.

portal-compare: portal/tests.rs `api_compare_returns_stage_diffs`; portal-failure:
`build_run_summary_includes_failure_context`; orch-hitl: orchestration/tests.rs
`save_run_record_materializes_hitl_questions_from_active_event_log` (e45362c).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harn_tui.core.analysis.compare import compare
from harn_tui.core.eventlog.attach import load_run_with_events
from harn_tui.core.eventlog.files import FileEventLog
from harn_tui.core.format import derive
from harn_tui.core.format.normalize import load_run

MORE = Path(__file__).resolve().parents[1] / "fixtures" / "harn" / "more"


def test_portal_compare(tmp_path: Path) -> None:
    shutil.copytree(MORE / "portal-compare", tmp_path / "c")
    left = load_run(tmp_path / "c" / "left.json")
    right = load_run(tmp_path / "c" / "right.json")
    lrun, rrun = left.normalized, right.normalized
    assert lrun["status"] != rrun["status"]  # status_changed
    assert (lrun["status"], rrun["status"]) == ("completed", "failed")
    comparison = compare(right, left)
    assert comparison.changed("stage") > 0  # stage_diffs not empty
    assert comparison.changed("tool") == 0  # tool_diffs empty
    lobs, robs = lrun["observability"], rrun["observability"]
    assert lobs["action_graph_nodes"] != robs["action_graph_nodes"]  # observability differs
    for key in ("transitions", "artifacts", "checkpoints"):
        assert len(rrun[key]) - len(lrun[key]) == 1, key


def test_portal_failure_summary() -> None:
    detail = load_run(MORE / "portal-failure" / "run.json")
    assert derive.last_node_id(detail.normalized) == "verify"
    assert detail.failure == "verify failed: assertion failed"


def test_orch_hitl_question_merged_from_the_log(tmp_path: Path) -> None:
    shutil.copytree(MORE / "orch-hitl", tmp_path / "runs")
    shutil.copytree(MORE / "orch-hitl-events", tmp_path / "state")
    log = FileEventLog(tmp_path / "state" / "events")
    try:
        detail = load_run_with_events(tmp_path / "runs" / "run.json", event_log=log)
    finally:
        log.close()
    questions = detail.normalized["hitl_questions"]
    assert len(questions) == 1
    assert questions[0]["prompt"] == "Which environment should I deploy to?"
