"""Derived observability as Harn computes it, on Harn's own files (tests/fixtures/harn/).

Every expectation here was worked out by reading harn-vm `orchestration/records.rs`
`derive_run_observability` / `load_run_record` (e45362c, v0.7.50), and every assertion
Harn's own test makes on a fixture is repeated (see tests/fixtures/harn/PROVENANCE.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.format.normalize import load_run, normalize_record

HARN = Path(__file__).resolve().parents[1] / "fixtures" / "harn"
MORE = HARN / "more"
PERSONAS = sorted(HARN.glob("*.run.json"))


def obs_of(path: Path) -> dict[str, Any]:
    return load_run(path).normalized["observability"]


def copy_root(tmp_path: Path, folder: str) -> Path:
    target = tmp_path / folder
    shutil.copytree(MORE / folder, target)
    return target


def test_fixtures_present() -> None:
    assert [p.name for p in PERSONAS] == [
        "merge_captain_smoke.run.json",
        "oncall_captain_smoke.run.json",
        "review_captain_smoke.run.json",
    ]


@pytest.mark.parametrize("path", PERSONAS, ids=lambda p: p.name)
def test_persona_example_observability_equals_harn(path: Path) -> None:
    # records.rs: run node + one stage node, an `entry` edge (no transition targets `run`),
    # no verification (kind "stage", no verification), no transcript, no sidecar on disk.
    raw = json.loads(path.read_text())
    obs = obs_of(path)
    run_id, persona = raw["id"], raw["workflow_name"]
    assert obs == {
        "schema_version": 4,
        "planner_rounds": [],
        "research_fact_count": 0,
        "action_graph_nodes": [
            {
                "id": f"run:{run_id}",
                "label": persona,
                "kind": "run",
                "status": "completed",
                "outcome": "completed",
                "trace_id": None,
                "stage_id": None,
                "node_id": None,
                "worker_id": None,
                "run_id": run_id,
                "run_path": str(path),  # persisted_path filled with the load path
                "metadata": {"workflow_id": "run"},
            },
            {
                "id": "stage:stage_1",
                "label": "run",
                "kind": "stage",
                "status": "completed",
                "outcome": "success",
                "trace_id": None,
                "stage_id": "stage_1",
                "node_id": "run",
                "worker_id": None,
                "run_id": None,
                "run_path": None,
                "metadata": {"stage_kind": "stage"},
            },
        ],
        "action_graph_edges": [
            {"from_id": f"run:{run_id}", "to_id": "stage:stage_1", "kind": "entry", "label": None}
        ],
        "worker_lineage": [],
        "verification_outcomes": [],
        "transcript_pointers": [
            {
                "id": "run:llm_transcript",
                "label": "LLM transcript sidecar",
                "kind": "llm_jsonl",
                "location": "run sidecar",
                "path": str(path.parent / f"{path.stem}-llm" / "llm_transcript.jsonl"),
                "available": False,
            }
        ],
        "compaction_events": [],
        "daemon_events": [],
    }


def test_stored_observability_is_ignored() -> None:
    # load_run_record always calls refresh_run_observability, whatever the file holds.
    raw = json.loads(PERSONAS[0].read_text())
    raw["observability"] = {"schema_version": 1, "action_graph_nodes": [{"id": "stale"}]}
    obs = normalize_record(raw, PERSONAS[0])["observability"]
    assert [n["id"] for n in obs["action_graph_nodes"]] == [
        "run:merge-captain-smoke",
        "stage:stage_1",
    ]


# -- orch-obs: save_and_load_run_record_materializes_observability_summary -------------------------


def test_orch_obs_harn_assertions(tmp_path: Path) -> None:
    root = copy_root(tmp_path, "orch-obs")
    obs = obs_of(root / "run.json")
    assert obs["schema_version"] == 4
    assert len(obs["planner_rounds"]) == 1
    assert obs["research_fact_count"] == 1
    assert len(obs["worker_lineage"]) == 1
    assert len(obs["verification_outcomes"]) == 1
    assert obs["compaction_events"] == []
    assert any(p["kind"] == "llm_jsonl" and p["available"] for p in obs["transcript_pointers"])
    assert obs["planner_rounds"][0]["research_facts"] == ["verify stage failed after read"]


def test_orch_obs_planner_round_fields(tmp_path: Path) -> None:
    root = copy_root(tmp_path, "orch-obs")
    planner = obs_of(root / "run.json")["planner_rounds"][0]
    assert planner == {
        "stage_id": "stage_1",
        "node_id": "plan",
        "stage_kind": "stage",
        "status": "failed",
        "outcome": "error",
        "iteration_count": 3,
        "llm_call_count": 2,
        "tool_execution_count": 1,
        "tool_rejection_count": 0,
        "intervention_count": 1,
        "compaction_count": 0,
        "native_text_tool_fallback_count": 0,
        "native_text_tool_fallback_rejection_count": 0,
        "empty_completion_retry_count": 0,
        # data.tools.calls is missing, so trace.tools_used; data.tools.successful is missing too
        # (the payload's top-level "successful_tools" is not where Harn looks).
        "tools_used": ["read"],
        "successful_tools": [],
        "ledger_done_rejections": 1,
        "task_ledger": {
            "root_task": "debug a failing run",
            "rationale": "explain the regression",
            "deliverables": [
                {
                    "id": "deliverable-1",
                    "text": "find the root cause",
                    "status": "blocked",
                    "note": "verification failed",
                }
            ],
            "observations": ["verify stage failed after read"],
            "blocking_count": 1,
        },
        "research_facts": ["verify stage failed after read"],
    }


def test_orch_obs_graph_lineage_and_verification(tmp_path: Path) -> None:
    root = copy_root(tmp_path, "orch-obs")
    obs = obs_of(root / "run.json")
    worker = obs["action_graph_nodes"][-1]
    assert worker == {
        "id": "worker:worker-1",
        "label": "researcher",
        "kind": "worker",
        "status": "completed",
        "outcome": "completed",
        "trace_id": None,
        "stage_id": "stage_1",
        "node_id": None,
        "worker_id": "worker-1",
        "run_id": "child-run",
        "run_path": "child.json",
        "metadata": {"task": "", "worker_name": "researcher"},
    }
    assert obs["action_graph_edges"][-1] == {
        "from_id": "stage:stage_1",
        "to_id": "worker:worker-1",
        "kind": "delegates",
        "label": "researcher",
    }
    assert obs["verification_outcomes"] == [
        {
            "stage_id": "stage_1",
            "node_id": "plan",
            "status": "failed",
            "passed": False,
            "summary": '{"pass":false,"reason":"assertion failed"}',
        }
    ]
    assert obs["worker_lineage"][0]["run_path"] == "child.json"


# -- orch-compaction, orch-daemon ------------------------------------------------------------------


def test_orch_compaction_harn_assertions(tmp_path: Path) -> None:
    root = copy_root(tmp_path, "orch-compaction")
    path = root / "run_compaction.json"
    events = obs_of(path)["compaction_events"]
    assert len(events) == 1
    event = events[0]
    assert event["id"] == "compaction-event-1"
    assert event["mode"] == "manual"
    assert event["strategy"] == "truncate"
    assert event["archived_messages"] == 3
    assert event["estimated_tokens_before"] == 120
    assert event["estimated_tokens_after"] == 48
    assert event["snapshot_asset_id"] == "snapshot-1"
    assert event["snapshot_location"] == "run.transcript.assets[snapshot-1]"
    assert event["available"] is True
    # exactly CompactionEventRecord's 13 fields; snapshot_path is the load path
    assert list(event) == [
        "id", "transcript_id", "stage_id", "node_id", "mode", "strategy", "archived_messages",
        "estimated_tokens_before", "estimated_tokens_after", "snapshot_asset_id",
        "snapshot_location", "snapshot_path", "available",
    ]  # fmt: skip
    assert event["snapshot_path"] == str(path)


def test_orch_daemon_harn_assertions(tmp_path: Path) -> None:
    root = copy_root(tmp_path, "orch-daemon")
    daemons = obs_of(root / "run.json")["daemon_events"]
    assert len(daemons) == 2
    assert daemons[0]["daemon_id"] == "daemon-1"
    assert daemons[0]["name"] == "reviewer"
    assert daemons[0]["kind"] == "spawned"
    assert daemons[1]["payload_summary"] == "new review requested"


# -- triggers (transcribed from Harn's trigger tests) ---------------------------------------------


def test_trigger_and_predicate_nodes_share_the_trace_id() -> None:
    obs = obs_of(HARN / "transcribed" / "trigger_predicate.json")
    trigger = next(n for n in obs["action_graph_nodes"] if n["kind"] == "trigger")
    predicate = next(n for n in obs["action_graph_nodes"] if n["kind"] == "predicate")
    assert trigger["trace_id"] == "trace_123" and predicate["trace_id"] == "trace_123"
    assert any(e["kind"] == "trigger_dispatch" for e in obs["action_graph_edges"])
    assert any(
        e["kind"] == "predicate_gate" and e["label"] == "true" for e in obs["action_graph_edges"]
    )
    # the full edge list, in Harn's order: entry to trigger, dispatch to the untargeted stage,
    # then the transition (from a condition stage: predicate_gate)
    assert obs["action_graph_edges"] == [
        {"from_id": "run:run_trigger_obs", "to_id": "trigger:trigger_evt_1", "kind": "entry",
         "label": "trigger_evt_1"},
        {"from_id": "trigger:trigger_evt_1", "to_id": "stage:stage_gate",
         "kind": "trigger_dispatch", "label": None},
        {"from_id": "stage:stage_gate", "to_id": "stage:stage_act", "kind": "predicate_gate",
         "label": "true"},
    ]  # fmt: skip
    assert trigger["label"] == "cron:tick" and trigger["status"] == "received"
    assert trigger["outcome"] == "unsigned"
    assert trigger["metadata"] == {
        "dedupe_key": "cron:daily",
        "event_kind": "tick",
        "provider": "cron",
        "signature_status": "unsigned",
    }
    assert predicate["metadata"] == {"branch": "true", "stage_kind": "condition"}


def test_replay_chain_for_replayed_trigger_runs() -> None:
    obs = obs_of(HARN / "transcribed" / "replay_chain.json")
    assert any(
        n["kind"] == "trigger" and "original trigger_evt_original" in n["label"]
        for n in obs["action_graph_nodes"]
    )
    assert any(
        e["kind"] == "replay_chain" and e["label"] == "replay chain"
        for e in obs["action_graph_edges"]
    )
    historical = obs["action_graph_nodes"][1]
    assert historical["id"] == "trigger:trigger_evt_original"
    assert (historical["status"], historical["outcome"]) == ("historical", "replayed_from")
    assert obs["action_graph_edges"][0]["to_id"] == "trigger:trigger_evt_replay"


def test_trigger_stream_run_has_a_trigger_node() -> None:
    obs = obs_of(HARN / "transcribed" / "trigger_stream.json")
    assert any(n["kind"] == "trigger" for n in obs["action_graph_nodes"])
    assert {n["trace_id"] for n in obs["action_graph_nodes"]} == {"trace_stream"}


def test_trigger_event_that_harn_cannot_parse_gives_no_trigger_node() -> None:
    raw = json.loads((HARN / "transcribed" / "trigger_stream.json").read_text())
    del raw["metadata"]["trigger_event"]["signature_status"]
    raw["metadata"]["trace_id"] = "trace_meta"
    obs = normalize_record(raw)["observability"]
    assert [n["kind"] for n in obs["action_graph_nodes"]] == ["run", "predicate"]
    assert obs["action_graph_nodes"][0]["trace_id"] == "trace_meta"  # metadata.trace_id
    assert obs["action_graph_edges"][0]["kind"] == "entry"


# -- rules, one by one ------------------------------------------------------------------------------


def run_with(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "_type": "run_record",
        "id": "r",
        "workflow_id": "wf",
        "status": "completed",
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("stage", "passed"),
    [
        ({"kind": "verify", "status": "completed", "outcome": "success"}, True),
        ({"kind": "verify", "status": "completed", "outcome": "verified"}, None),
        ({"kind": "verify", "status": "completed", "outcome": "failed"}, False),
        ({"kind": "verify", "status": "failed", "outcome": "success"}, False),
        ({"status": "completed", "verification": {"pass": False, "success": True}}, False),
        ({"status": "failed", "verification": {"success": True}}, True),
        ({"status": "failed", "verification": {"pass": "no"}}, False),  # not a bool: fall through
        ({"status": "running", "verification": "text"}, None),
    ],
)
def test_verification_pass_rule(stage: dict[str, Any], passed: bool | None) -> None:
    stage = {"id": "s", "node_id": "v", **stage}
    outcome = normalize_record(run_with(stages=[stage]))["observability"]["verification_outcomes"]
    assert [o["passed"] for o in outcome] == [passed]


def test_verification_summary_blank_visible_text_dropped() -> None:
    stages = [
        {"id": "a", "node_id": "a", "kind": "verify", "visible_text": "   "},
        {"id": "b", "node_id": "b", "kind": "verify", "visible_text": "ok"},
        {"id": "c", "node_id": "c", "verification": {"z": 1, "a": [1, 2]}},
    ]
    outcomes = normalize_record(run_with(stages=stages))["observability"]["verification_outcomes"]
    assert [o["summary"] for o in outcomes] == [None, "ok", '{"a":[1,2],"z":1}']  # sorted keys


def test_transcript_pointer_path_and_label(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    raw = run_with(
        stages=[{"id": "s1", "node_id": "plan", "transcript": {"id": "t"}}],
        transcript={"id": "t2"},
    )
    path.write_text(json.dumps(raw))
    pointers = obs_of(path)["transcript_pointers"]
    assert [(p["id"], p["label"], p["path"]) for p in pointers] == [
        ("stage:s1:transcript", "Stage plan transcript", str(path)),
        ("run:transcript", "Run transcript", str(path)),
        (
            "run:llm_transcript",
            "LLM transcript sidecar",
            str(tmp_path / "r-llm" / "llm_transcript.jsonl"),
        ),
    ]
    raw["persisted_path"] = "elsewhere/r.json"
    path.write_text(json.dumps(raw))
    assert [p["path"] for p in obs_of(path)["transcript_pointers"][:2]] == ["elsewhere/r.json"] * 2


def test_transition_edges_resolve_like_harn() -> None:
    stages = [
        {"id": "s1", "node_id": "a", "kind": "stage"},
        {"id": "s2", "node_id": "b", "kind": "stage"},
        {"id": "s3", "node_id": "c", "kind": "stage"},
    ]
    transitions = [
        {"from_stage_id": "s1", "to_node_id": "b", "branch": "next"},
        {"from_stage_id": "gone", "from_node_id": "b", "to_node_id": "c"},  # falls back to node id
        {"to_node_id": "c"},  # no source: from the run node
        {"from_stage_id": "s1", "to_node_id": "missing"},  # no target stage: dropped
    ]
    obs = normalize_record(run_with(stages=stages, transitions=transitions))["observability"]
    edges = [(e["from_id"], e["to_id"], e["kind"], e["label"]) for e in obs["action_graph_edges"]]
    assert edges == [
        ("run:r", "stage:s1", "entry", None),
        ("stage:s1", "stage:s2", "transition", "next"),
        ("stage:s2", "stage:s3", "transition", None),
        ("run:r", "stage:s3", "transition", None),
    ]


def test_stage_node_worker_id_and_branch_metadata() -> None:
    stages = [{"id": "s", "node_id": "n", "branch": "b", "metadata": {"worker_id": "w1"}}]
    node = normalize_record(run_with(stages=stages))["observability"]["action_graph_nodes"][1]
    assert node["worker_id"] == "w1"
    assert node["metadata"] == {"branch": "b", "stage_kind": "", "worker_id": "w1"}


def test_planner_round_needs_agentic_detail_and_reads_tools_calls_first() -> None:
    stages = [
        {"id": "s1", "node_id": "quiet", "artifacts": [{"data": {"trace": {"tool_rejections": 4}}}]},
        {
            "id": "s2",
            "node_id": "busy",
            "artifacts": [
                {"data": None},
                {"data": {"tools": {"calls": ["a", 1, "b"], "successful": ["a"]},
                          "trace": {"tools_used": ["ignored"], "iterations": 2.0}}},
            ],
        },
    ]  # fmt: skip
    rounds = normalize_record(run_with(stages=stages))["observability"]["planner_rounds"]
    assert [r["node_id"] for r in rounds] == ["busy"]
    assert rounds[0]["tools_used"] == ["a", "b"]
    assert rounds[0]["successful_tools"] == ["a"]
    assert rounds[0]["iteration_count"] == 0  # a float is not a u64


def test_compaction_0_10_receipt_keys_only_where_present() -> None:
    meta = {
        "mode": "auto",
        "strategy": "llm",
        "instruction_mode": "summary",
        "compaction_policy": {"name": "hybrid"},
        "schema_version": 2,
        "reason": "budget",
    }
    transcript = {"id": "t", "events": [{"id": "c", "kind": "compaction", "metadata": meta}]}
    event = normalize_record(run_with(transcript=transcript))["observability"]["compaction_events"][
        0
    ]
    assert event["instruction_mode"] == "summary"
    assert event["compaction_policy"] == {"name": "hybrid"}
    assert "instruction_source" not in event
    assert (event["schema_version"], event["reason"]) == (2, "budget")
