"""Harn's derived observability record, recomputed on every load.

Follows `derive_run_observability` in harn-vm `orchestration/records.rs`
(0.7.50, e45362c; `records/action_graph.rs` in 0.8.x, schema_version 4) rule by
rule: the action graph (run, trigger, stage/predicate and worker nodes; entry,
trigger-dispatch, replay-chain, transition, predicate-gate and delegates edges),
planner rounds and research facts from stage artifacts, worker lineage,
verification outcomes, embedded transcript pointers and compaction events. The
sidecar pointer and daemon events are added by the loader (it reads the sidecar).
Object keys that Harn keeps in a `BTreeMap` are emitted sorted, as serde writes them.
"""

from __future__ import annotations

from typing import Any

import orjson

from harn_tui.core.format.derive import obj
from harn_tui.core.format.schema import json_str, str_items

SCHEMA_VERSION = 4
MISSING = object()

NODE_RUN = "run"
NODE_TRIGGER = "trigger"
NODE_PREDICATE = "predicate"
NODE_STAGE = "stage"
NODE_WORKER = "worker"
EDGE_ENTRY = "entry"
EDGE_TRIGGER_DISPATCH = "trigger_dispatch"
EDGE_PREDICATE_GATE = "predicate_gate"
EDGE_REPLAY_CHAIN = "replay_chain"
EDGE_TRANSITION = "transition"
EDGE_DELEGATES = "delegates"

SIGNATURE_STATES = ("verified", "unsigned", "failed")


def usize(value: Any) -> int:
    """serde's `as_u64().unwrap_or_default()`: a non-negative JSON integer, else 0."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return 0


def opt_bool(value: Any) -> bool | None:
    """serde's `as_bool()`."""
    return value if isinstance(value, bool) else None


def get(value: Any, key: str) -> Any:
    """serde's `Value::get`: MISSING unless `value` is an object holding `key`."""
    if isinstance(value, dict) and key in value:
        return value[key]
    return MISSING


def present(value: Any) -> Any:
    """None for MISSING (the Rust `Option` is None)."""
    return None if value is MISSING else value


def compact_json(value: Any) -> str:
    """serde_json::to_string of a Value: compact, object keys sorted (BTreeMap)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # nested deeper than orjson writes
        try:
            return str(value)
        except RecursionError:
            return "(nested too deep to show)"


# -- trigger event -------------------------------------------------------------------------------


def trigger_event(run: dict[str, Any]) -> dict[str, Any] | None:
    """`metadata.trigger_event` when it deserializes as Harn's `TriggerEvent`, else None.

    The required keys and their types are checked (`id`, `provider`, `kind`,
    `dedupe_key`, `trace_id` strings; `received_at` text; `occurred_at` present;
    `headers` a map of strings; `provider_payload` an object naming its
    `provider`; `signature_status` `{state: verified|unsigned|failed}`, `failed`
    with a `reason`). Harn also parses the timestamps as RFC3339 and the payload
    per provider; a looser check here shows an event Harn would drop.
    """
    event = obj(run["metadata"]).get("trigger_event")
    if not isinstance(event, dict):
        return None
    for key in ("id", "provider", "kind", "dedupe_key", "trace_id", "received_at"):
        if not isinstance(event.get(key), str):
            return None
    if "occurred_at" not in event or not (
        event["occurred_at"] is None or isinstance(event["occurred_at"], str)
    ):
        return None
    headers = event.get("headers")
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        return None
    payload = event.get("provider_payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("provider"), str):
        return None
    status = event.get("signature_status")
    if not isinstance(status, dict) or status.get("state") not in SIGNATURE_STATES:
        return None
    if status["state"] == "failed" and not isinstance(status.get("reason"), str):
        return None
    return event


def signature_label(event: dict[str, Any]) -> str:
    return str(event["signature_status"]["state"])


def run_trace_id(run: dict[str, Any], event: dict[str, Any] | None) -> str | None:
    """The trigger's trace id, else `metadata.trace_id` (Harn's `run_trace_id`)."""
    if event is not None:
        return str(event["trace_id"])
    return json_str(obj(run["metadata"]).get("trace_id"))


def _trigger_metadata(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "dedupe_key": event["dedupe_key"],
        "event_kind": event["kind"],
        "provider": event["provider"],
        "signature_status": signature_label(event),
    }


def _node(
    node_id: str,
    label: str,
    kind: str,
    status: str,
    outcome: str,
    trace_id: str | None,
    *,
    stage_id: str | None = None,
    node: str | None = None,
    worker_id: str | None = None,
    run_id: str | None = None,
    run_path: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": node_id,
        "label": label,
        "kind": kind,
        "status": status,
        "outcome": outcome,
        "trace_id": trace_id,
        "stage_id": stage_id,
        "node_id": node,
        "worker_id": worker_id,
        "run_id": run_id,
        "run_path": run_path,
        "metadata": dict(sorted((metadata or {}).items())),
    }


def _edge(from_id: str, to_id: str, kind: str, label: str | None) -> dict[str, Any]:
    return {"from_id": from_id, "to_id": to_id, "kind": kind, "label": label}


def _stage_node_metadata(stage: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"stage_kind": stage["kind"]}
    if stage["branch"] is not None:
        meta["branch"] = stage["branch"]
    worker_id = json_str(stage["metadata"].get("worker_id"))
    if worker_id is not None:
        meta["worker_id"] = worker_id
    return meta


# -- planner rounds ------------------------------------------------------------------------------


def task_ledger_summary(value: Any) -> dict[str, Any] | None:
    """Harn's `task_ledger_summary_from_value`."""
    raw = get(value, "deliverables")
    deliverables = [
        {
            "id": json_str(present(get(item, "id"))) or "",
            "text": json_str(present(get(item, "text"))) or "",
            "status": json_str(present(get(item, "status"))) or "",
            "note": json_str(present(get(item, "note"))),
        }
        for item in (raw if isinstance(raw, list) else [])
    ]
    observations = str_items(present(get(value, "observations")))
    root_task = json_str(present(get(value, "root_task"))) or ""
    rationale = json_str(present(get(value, "rationale"))) or ""
    if not root_task and not rationale and not deliverables and not observations:
        return None
    return {
        "root_task": root_task,
        "rationale": rationale,
        "deliverables": deliverables,
        "observations": observations,
        "blocking_count": sum(1 for d in deliverables if d["status"] in ("open", "blocked")),
    }


_TRACE_COUNTS = (
    ("iteration_count", "iterations"),
    ("llm_call_count", "llm_calls"),
    ("tool_execution_count", "tool_executions"),
    ("tool_rejection_count", "tool_rejections"),
    ("intervention_count", "interventions"),
    ("compaction_count", "compactions"),
    ("native_text_tool_fallback_count", "native_text_tool_fallbacks"),
    ("native_text_tool_fallback_rejection_count", "native_text_tool_fallback_rejections"),
    ("empty_completion_retry_count", "empty_completion_retries"),
)


def planner_round(stage: dict[str, Any]) -> dict[str, Any] | None:
    """The planner round of a stage's first artifact with `data`, if it shows agentic detail."""
    payload = next((a["data"] for a in stage["artifacts"] if a.get("data") is not None), None)
    if payload is None:
        return None
    trace = get(payload, "trace")
    ledger_value = get(payload, "task_ledger")
    ledger = task_ledger_summary(ledger_value) if ledger_value is not MISSING else None
    research_facts = list(ledger["observations"]) if ledger else []
    tools = get(payload, "tools")
    calls = get(tools, "calls")
    tools_used = str_items(present(calls if calls is not MISSING else get(trace, "tools_used")))
    record: dict[str, Any] = {
        "stage_id": stage["id"],
        "node_id": stage["node_id"],
        "stage_kind": stage["kind"],
        "status": stage["status"],
        "outcome": stage["outcome"],
    }
    for field, key in _TRACE_COUNTS:
        record[field] = usize(present(get(trace, key)))
    record["tools_used"] = tools_used
    record["successful_tools"] = str_items(present(get(tools, "successful")))
    record["ledger_done_rejections"] = usize(present(get(payload, "ledger_done_rejections")))
    record["task_ledger"] = ledger
    record["research_facts"] = research_facts
    agentic = (
        record["iteration_count"] > 0
        or record["llm_call_count"] > 0
        or record["tool_execution_count"] > 0
        or record["native_text_tool_fallback_count"] > 0
        or record["native_text_tool_fallback_rejection_count"] > 0
        or record["empty_completion_retry_count"] > 0
        or record["ledger_done_rejections"] > 0
        or ledger is not None
        or bool(tools_used)
        or bool(record["successful_tools"])
    )
    return record if agentic else None


# -- verification, transcripts ---------------------------------------------------------------------


def verification_passed(stage: dict[str, Any]) -> bool | None:
    """`verification.pass`, else `.success`, else completed+success true, failed false."""
    verification = stage["verification"]
    for key in ("pass", "success"):
        passed = opt_bool(present(get(verification, key)))
        if passed is not None:
            return passed
    if stage["status"] == "completed" and stage["outcome"] == "success":
        return True
    if stage["status"] == "failed" or stage["outcome"] == "failed":
        return False
    return None


def verification_outcome(stage: dict[str, Any]) -> dict[str, Any]:
    if stage["verification"] is not None:
        summary: str | None = compact_json(stage["verification"])
    else:
        text = stage["visible_text"]
        summary = text if isinstance(text, str) and text.strip() else None
    return {
        "stage_id": stage["id"],
        "node_id": stage["node_id"],
        "status": stage["status"],
        "passed": verification_passed(stage),
        "summary": summary,
    }


#: Transcript pointer fields later Harn adds (verification of the transcript descriptor).
POINTER_LATER_KEYS = ("verification_status", "verification_error", "descriptor")
COMPACTION_0_8_KEYS = ("instruction_mode", "instruction_source", "compaction_policy")
COMPACTION_RECEIPT_KEYS = ("schema_version", "reason", "recap", "receipt")


def compaction_events_from_transcript(
    transcript: Any,
    stage_id: str | None,
    node_id: str | None,
    prefix: str,
    snapshot_path: str | None,
) -> list[dict[str, Any]]:
    """One CompactionEventRecord per `compaction` event of a transcript.

    The 13 fields of 0.7.50/0.8.6's record always; `instruction_mode`,
    `instruction_source`, `compaction_policy` and the 0.10.x receipt fields only
    where the event's metadata carries them.
    """
    transcript_id = json_str(present(get(transcript, "id")))
    assets = get(transcript, "assets")
    asset_ids = {
        a["id"]
        for a in (assets if isinstance(assets, list) else [])
        if isinstance(a, dict) and isinstance(a.get("id"), str)
    }
    events = get(transcript, "events")
    out = []
    for event in events if isinstance(events, list) else []:
        if get(event, "kind") != "compaction":
            continue
        meta = get(event, "metadata")
        asset_id = json_str(present(get(meta, "snapshot_asset_id")))
        record: dict[str, Any] = {
            "id": json_str(present(get(event, "id"))) or "",
            "transcript_id": transcript_id,
            "stage_id": stage_id,
            "node_id": node_id,
            "mode": json_str(present(get(meta, "mode"))) or "",
            "strategy": json_str(present(get(meta, "strategy"))) or "",
            "archived_messages": usize(present(get(meta, "archived_messages"))),
            "estimated_tokens_before": usize(present(get(meta, "estimated_tokens_before"))),
            "estimated_tokens_after": usize(present(get(meta, "estimated_tokens_after"))),
            "snapshot_asset_id": asset_id,
            "snapshot_location": f"{prefix}.assets[{asset_id}]" if asset_id is not None else prefix,
            "snapshot_path": snapshot_path,
            "available": asset_id is not None and asset_id in asset_ids,
        }
        receipt = get(meta, "receipt")
        for key in COMPACTION_0_8_KEYS + COMPACTION_RECEIPT_KEYS:
            value = get(meta, key)
            if value is MISSING and key != "receipt":
                value = get(receipt, key)  # 0.10.x: a typed receipt under metadata.receipt
            if value is not MISSING:
                record[key] = value
        out.append(record)
    return out


def _pointer(pid: str, label: str, location: str, path: str | None) -> dict[str, Any]:
    return {
        "id": pid,
        "label": label,
        "kind": "embedded_transcript",
        "location": location,
        "path": path,
        "available": True,
    }


# -- the record ---------------------------------------------------------------------------------


def derive(run: dict[str, Any], load_path: str | None) -> dict[str, Any]:
    """The observability record of a normalized run (`load_path` is the path it was read from)."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    rounds: list[dict[str, Any]] = []
    pointers: list[dict[str, Any]] = []
    compactions: list[dict[str, Any]] = []
    research_fact_count = 0

    run_id = run["id"]
    root = f"run:{run_id}"
    persisted = run["persisted_path"]
    event = trigger_event(run)
    trace_id = run_trace_id(run, event)
    nodes.append(
        _node(
            root,
            run["workflow_name"] if run["workflow_name"] is not None else run["workflow_id"],
            NODE_RUN,
            run["status"],
            run["status"],
            trace_id,
            run_id=run_id,
            run_path=persisted,
            metadata={"workflow_id": run["workflow_id"]},
        )
    )
    entry = root
    if event is not None:
        trigger_id = f"trigger:{event['id']}"
        replay_of = json_str(obj(run["metadata"]).get("replay_of_event_id"))
        if replay_of is not None:
            source = f"trigger:{replay_of}"
            nodes.append(
                _node(
                    source,
                    f"{event['provider']}:{event['kind']} (original {replay_of})",
                    NODE_TRIGGER,
                    "historical",
                    "replayed_from",
                    event["trace_id"],
                    run_id=run_id,
                    run_path=persisted,
                    metadata=_trigger_metadata(event),
                )
            )
            edges.append(_edge(source, trigger_id, EDGE_REPLAY_CHAIN, "replay chain"))
        nodes.append(
            _node(
                trigger_id,
                f"{event['provider']}:{event['kind']}",
                NODE_TRIGGER,
                "received",
                signature_label(event),
                event["trace_id"],
                run_id=run_id,
                run_path=persisted,
                metadata=_trigger_metadata(event),
            )
        )
        edges.append(_edge(root, trigger_id, EDGE_ENTRY, event["id"]))
        entry = trigger_id

    stages = run["stages"]
    stage_by_id = {s["id"]: s for s in stages}
    node_by_node_id = {s["node_id"]: f"stage:{s['id']}" for s in stages}
    incoming = {t["to_node_id"] for t in run["transitions"]}

    for stage in stages:
        graph_id = f"stage:{stage['id']}"
        nodes.append(
            _node(
                graph_id,
                stage["node_id"],
                NODE_PREDICATE if stage["kind"] == "condition" else NODE_STAGE,
                stage["status"],
                stage["outcome"],
                trace_id,
                stage_id=stage["id"],
                node=stage["node_id"],
                worker_id=json_str(stage["metadata"].get("worker_id")),
                metadata=_stage_node_metadata(stage),
            )
        )
        if stage["node_id"] not in incoming:
            kind = EDGE_TRIGGER_DISPATCH if event is not None else EDGE_ENTRY
            edges.append(_edge(entry, graph_id, kind, None))
        if stage["kind"] == "verify" or stage["verification"] is not None:
            outcomes.append(verification_outcome(stage))
        if stage["transcript"] is not None:
            location = f"run.stages[{stage['node_id']}].transcript"
            pointers.append(
                _pointer(
                    f"stage:{stage['id']}:transcript",
                    f"Stage {stage['node_id']} transcript",
                    location,
                    persisted,
                )
            )
            compactions += compaction_events_from_transcript(
                stage["transcript"], stage["id"], stage["node_id"], location, load_path
            )
        planner = planner_round(stage)
        if planner is not None:  # a ledger (the facts' source) always makes a round
            research_fact_count += len(planner["research_facts"])
            rounds.append(planner)

    for transition in run["transitions"]:
        to_id = node_by_node_id.get(transition["to_node_id"])
        if to_id is None:
            continue
        source_id = transition["from_stage_id"]
        from_stage = stage_by_id.get(source_id) if source_id is not None else None
        from_id = f"stage:{from_stage['id']}" if from_stage is not None else None
        if from_id is None and transition["from_node_id"] is not None:
            from_id = node_by_node_id.get(transition["from_node_id"])
        kind = (
            EDGE_PREDICATE_GATE
            if from_stage is not None and from_stage["kind"] == "condition"
            else EDGE_TRANSITION
        )
        edges.append(_edge(from_id or root, to_id, kind, transition["branch"]))

    lineage = []
    for child in run["child_runs"]:
        worker_node = f"worker:{child['worker_id']}"
        nodes.append(
            _node(
                worker_node,
                child["worker_name"],
                NODE_WORKER,
                child["status"],
                child["status"],
                trace_id,
                stage_id=child["parent_stage_id"],
                worker_id=child["worker_id"],
                run_id=child["run_id"],
                run_path=child["run_path"],
                metadata={"task": child["task"], "worker_name": child["worker_name"]},
            )
        )
        parent = child["parent_stage_id"]
        if parent is not None and parent in stage_by_id:
            edges.append(
                _edge(f"stage:{parent}", worker_node, EDGE_DELEGATES, child["worker_name"])
            )
        lineage.append(
            {
                key: child.get(key)
                for key in (
                    "worker_id",
                    "worker_name",
                    "parent_stage_id",
                    "task",
                    "status",
                    "session_id",
                    "parent_session_id",
                    "run_id",
                    "run_path",
                    "snapshot_path",
                )
            }
        )

    if run["transcript"] is not None:
        pointers.append(_pointer("run:transcript", "Run transcript", "run.transcript", persisted))
        compactions += compaction_events_from_transcript(
            run["transcript"], None, None, "run.transcript", load_path
        )

    return {
        "schema_version": SCHEMA_VERSION,
        "planner_rounds": rounds,
        "research_fact_count": research_fact_count,
        "action_graph_nodes": nodes,
        "action_graph_edges": edges,
        "worker_lineage": lineage,
        "verification_outcomes": outcomes,
        "transcript_pointers": pointers,
        "compaction_events": compactions,
        "daemon_events": [],
    }
