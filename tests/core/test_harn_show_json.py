"""`show --json` on Harn's own examples equals what Harn's `load_run_record` computes.

The expected documents are built here from the Rust structs' fields and defaults
(`orchestration/records.rs`, `policy/types.rs`, e45362c) and the file's own values, rule
by rule: serde defaults for every missing key, `persisted_path` = the load path, the
stored replay fixture kept, handoffs synced (none), observability recomputed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harn_tui.cli import main

HARN = Path(__file__).resolve().parents[1] / "fixtures" / "harn"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples"
EXAMPLES = sorted(HARN.glob("*.run.json"))

#: serde defaults of RunRecord's fields, in declaration order.
RUN_DEFAULTS: dict[str, Any] = {
    "_type": "", "id": "", "workflow_id": "", "workflow_name": None, "task": "", "status": "",
    "started_at": "", "finished_at": None, "parent_run_id": None, "root_run_id": None,
    "stages": [], "transitions": [], "checkpoints": [], "pending_nodes": [], "completed_nodes": [],
    "child_runs": [], "artifacts": [], "handoffs": [], "policy": None, "execution": None,
    "transcript": None, "usage": None, "replay_fixture": None, "observability": None,
    "trace_spans": [], "tool_recordings": [], "hitl_questions": [], "metadata": {},
    "persisted_path": None,
}  # fmt: skip
STAGE_DEFAULTS: dict[str, Any] = {
    "id": "", "node_id": "", "kind": "", "status": "", "outcome": "", "branch": None,
    "started_at": "", "finished_at": None, "visible_text": None, "private_reasoning": None,
    "transcript": None, "verification": None, "usage": None, "artifacts": [],
    "consumed_artifact_ids": [], "produced_artifact_ids": [], "attempts": [], "metadata": {},
}  # fmt: skip
POLICY_DEFAULTS: dict[str, Any] = {
    "tools": [], "capabilities": {}, "workspace_roots": [], "side_effect_level": None,
    "recursion_limit": None, "tool_arg_constraints": [], "tool_annotations": {},
}  # fmt: skip
FIXTURE_DEFAULTS: dict[str, Any] = {
    "_type": "", "id": "", "source_run_id": "", "workflow_id": "", "workflow_name": None,
    "created_at": "", "eval_kind": None, "clarifying_question": None, "expected_status": "",
    "stage_assertions": [],
}  # fmt: skip
ASSERTION_DEFAULTS: dict[str, Any] = {
    "node_id": "", "expected_status": "", "expected_outcome": "", "expected_branch": None,
    "required_artifact_kinds": [], "visible_text_contains": None,
}  # fmt: skip


def harn_load(path: Path) -> dict[str, Any]:
    """What records.rs `load_run_record(path)` returns for one of the persona examples."""
    raw = json.loads(path.read_text())
    run = {**RUN_DEFAULTS, **raw}
    run["stages"] = [{**STAGE_DEFAULTS, **s} for s in raw["stages"]]
    run["policy"] = {**POLICY_DEFAULTS, **raw["policy"]}
    fixture = {**FIXTURE_DEFAULTS, **raw["replay_fixture"]}
    fixture["stage_assertions"] = [{**ASSERTION_DEFAULTS, **a} for a in fixture["stage_assertions"]]
    run["replay_fixture"] = fixture  # present, so not synthesized
    run["persisted_path"] = str(path)  # get_or_insert_with(load path)
    stage = run["stages"][0]
    run["observability"] = {
        "schema_version": 4,
        "planner_rounds": [],  # the stage has no artifact with data
        "research_fact_count": 0,
        "action_graph_nodes": [
            {"id": f"run:{run['id']}", "label": run["workflow_name"], "kind": "run",
             "status": run["status"], "outcome": run["status"], "trace_id": None, "stage_id": None,
             "node_id": None, "worker_id": None, "run_id": run["id"], "run_path": str(path),
             "metadata": {"workflow_id": run["workflow_id"]}},
            {"id": f"stage:{stage['id']}", "label": stage["node_id"], "kind": "stage",
             "status": stage["status"], "outcome": stage["outcome"], "trace_id": None,
             "stage_id": stage["id"], "node_id": stage["node_id"], "worker_id": None, "run_id": None,
             "run_path": None, "metadata": {"stage_kind": stage["kind"]}},
        ],
        "action_graph_edges": [
            {"from_id": f"run:{run['id']}", "to_id": f"stage:{stage['id']}", "kind": "entry", "label": None}
        ],
        "worker_lineage": [],
        "verification_outcomes": [],  # kind "stage", verification null
        "transcript_pointers": [
            {"id": "run:llm_transcript", "label": "LLM transcript sidecar", "kind": "llm_jsonl",
             "location": "run sidecar", "path": str(path.parent / f"{path.stem}-llm" / "llm_transcript.jsonl"),
             "available": False},
        ],
        "compaction_events": [],
        "daemon_events": [],
    }  # fmt: skip
    return run


def test_fixtures_are_the_shared_examples_byte_for_byte() -> None:
    shared = sorted(SHARED.glob("*.run.json"))
    assert [p.name for p in shared] == [p.name for p in EXAMPLES]
    for ours, theirs in zip(EXAMPLES, shared, strict=True):
        assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_show_json_equals_harn_load(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    harn_keys = {k: doc[k] for k in RUN_DEFAULTS}
    assert harn_keys == harn_load(path)
    assert list(doc)[: len(RUN_DEFAULTS)] == list(RUN_DEFAULTS)  # serde's field order
    # harn-tui's additions come after Harn's keys
    assert (
        doc["compaction_events"] == [] and doc["daemon_events"] == [] and doc["model_turns"] == []
    )
    assert doc["derived"]["type_note"] is None
