"""Harn's record shapes as data, and the defaults-on normalizer that applies them.

Every Harn record struct is "defaults on": any key may be missing and unknown keys
are kept. A schema maps each known key to a field spec; :func:`fill` returns a new
dict holding every known key (coerced to its type or defaulted) followed by the
unknown keys untouched. Coercion is tolerant of hand-written type drift (numbers as
strings, floats for ints) and never raises.
"""

from __future__ import annotations

import math
from typing import Any, overload

# Field specs: a short code, or a (code, schema) pair for nested records.
#   s  string ("")          s? optional string (None)     s:X string defaulting to X
#   i  int (0)              i? optional int (None)
#   f  float (0.0)          f? optional float (None)
#   b  bool (False)         b? optional bool (None)
#   a  any JSON (None)      m  object ({})           ls list of strings ([])
#   la list of any ([])     ("l", S) list of records
#   ("o", S) optional record (None)   ("O", S) record always present (defaults filled)
Spec = str | tuple[str, "Schema"]
Schema = dict[str, Spec]


def to_str(value: Any, default: str = "") -> str:
    """Coerce a scalar to text; containers and null give the default."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else default
    return default


def to_int(value: Any, default: int = 0) -> int:
    """Coerce numbers and numeric text to int; anything else gives the default."""
    if type(value) is int:  # the common case, first
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else default
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return default
            return int(number) if math.isfinite(number) else default
    return default


def to_float(value: Any, default: float = 0.0) -> float:
    """Coerce numbers and numeric text to float; anything else gives the default."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else default
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return default
        return number if math.isfinite(number) else default
    return default


def to_bool(value: Any, default: bool = False) -> bool:
    """Coerce JSON booleans (and "true"/"false" text) to bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return bool(value)
    return default


def str_list(value: Any) -> list[str]:
    """A list of strings from whatever is there (scalars coerced, containers dropped)."""
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif item is not None and not isinstance(item, list | dict):
            out.append(to_str(item))
    return out


# Strict reads, as Harn's Rust reads a `serde_json::Value` (`as_str`, `as_i64`, `as_f64`):
# a JSON string is never a number, a bool is never a number, a float is never an int.
# For free-form maps (metadata, event payloads) that Harn itself reads that way.


@overload
def json_str(value: Any) -> str | None: ...
@overload
def json_str(value: Any, default: str) -> str: ...
def json_str(value: Any, default: str | None = None) -> str | None:
    """serde's `as_str()`: `value` if it is a JSON string, else `default`."""
    return value if isinstance(value, str) else default


@overload
def json_int(value: Any) -> int | None: ...
@overload
def json_int(value: Any, default: int) -> int: ...
def json_int(value: Any, default: int | None = None) -> int | None:
    """serde's `as_i64()`: `value` if it is a JSON integer (not a bool, not a float), else `default`."""
    if type(value) is int:
        return value
    return value if isinstance(value, int) and not isinstance(value, bool) else default


@overload
def json_number(value: Any) -> float | None: ...
@overload
def json_number(value: Any, default: float) -> float: ...
def json_number(value: Any, default: float | None = None) -> float | None:
    """serde's `as_f64()`: a finite JSON number (not a bool, not numeric text) as float, else `default`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    number = float(value)
    return number if math.isfinite(number) else default


def str_items(value: Any) -> list[str]:
    """Harn's `json_string_array`: the string items of a JSON list (others dropped, not coerced)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _coerce(spec: Spec, value: Any) -> Any:
    if isinstance(spec, tuple):
        code, schema = spec
        if code == "l":
            if not isinstance(value, list):
                return []
            return [fill(item, schema) for item in value if isinstance(item, dict)]
        if code == "O":  # a record that is always present
            return fill(value, schema)
        return fill(value, schema) if isinstance(value, dict) else None
    if spec.startswith("s:"):  # string with its own default
        return to_str(value, spec[2:]) if value is not None else spec[2:]
    optional = spec.endswith("?")
    code = spec.rstrip("?")
    if code == "s":
        return to_str(value, None) if optional else to_str(value)  # type: ignore[arg-type]
    if code == "i":
        return to_int(value, None) if optional else to_int(value)  # type: ignore[arg-type]
    if code == "f":
        return to_float(value, None) if optional else to_float(value)  # type: ignore[arg-type]
    if code == "b":
        return to_bool(value, None) if optional else to_bool(value)  # type: ignore[arg-type]
    if code == "m":
        return value if isinstance(value, dict) else {}
    if code == "ls":
        return str_list(value)
    if code == "la":
        return value if isinstance(value, list) else []
    return value  # "a"


def fill(raw: Any, schema: Schema) -> dict[str, Any]:
    """Return `raw` with every schema key present and typed, unknown keys kept after them."""
    source = raw if isinstance(raw, dict) else {}
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        out[key] = _coerce(spec, source.get(key))
    for key, value in source.items():
        if key not in out:
            out[key] = value
    return out


# ---------------------------------------------------------------------------
# The shapes (spec sections 2.4 - 2.18, 3.1)

USAGE: Schema = {
    "input_tokens": "i",
    "output_tokens": "i",
    "total_duration_ms": "i",
    "call_count": "i",
    "total_cost": "f",
    "models": "ls",
}

EXECUTION: Schema = {
    "cwd": "s?",
    "source_dir": "s?",
    "env": "m",
    "adapter": "s?",
    "repo_path": "s?",
    "worktree_path": "s?",
    "branch": "s?",
    "base_ref": "s?",
    "cleanup": "s?",
}

ARTIFACT: Schema = {
    "_type": "s",
    "id": "s",
    "kind": "s",
    "title": "s?",
    "text": "s?",
    "data": "a",
    "source": "s?",
    "created_at": "s",
    "freshness": "s?",
    "priority": "i?",
    "lineage": "ls",
    "relevance": "f?",
    "estimated_tokens": "i?",
    "stage": "s?",
    "metadata": "m",
}

ATTEMPT: Schema = {
    "attempt": "i",
    "status": "s",
    "outcome": "s",
    "branch": "s?",
    "error": "s?",
    "verification": "a",
    "started_at": "s",
    "finished_at": "s?",
}

TRANSCRIPT: Schema = {
    "_type": "s",
    "version": "i",
    "id": "s",
    "messages": "la",
    "events": "la",
    "assets": "la",
}

STAGE: Schema = {
    "id": "s",
    "node_id": "s",
    "kind": "s",
    "status": "s",
    "outcome": "s",
    "branch": "s?",
    "started_at": "s",
    "finished_at": "s?",
    "visible_text": "s?",
    "private_reasoning": "s?",
    "transcript": "a",
    "verification": "a",
    "usage": ("o", USAGE),
    "artifacts": ("l", ARTIFACT),
    "consumed_artifact_ids": "ls",
    "produced_artifact_ids": "ls",
    "attempts": ("l", ATTEMPT),
    "metadata": "m",
}

TRANSITION: Schema = {
    "id": "s",
    "from_stage_id": "s?",
    "from_node_id": "s?",
    "to_node_id": "s",
    "branch": "s?",
    "timestamp": "s",
    "consumed_artifact_ids": "ls",
    "produced_artifact_ids": "ls",
}

CHECKPOINT: Schema = {
    "id": "s",
    "ready_nodes": "ls",
    "completed_nodes": "ls",
    "last_stage_id": "s?",
    "persisted_at": "s",
    "reason": "s",
}

APPROVAL_POLICY: Schema = {
    "auto_approve": "ls",
    "auto_deny": "ls",
    "require_approval": "ls",
    "write_path_allowlist": "ls",
}

CHILD_RUN: Schema = {
    "worker_id": "s",
    "worker_name": "s:worker",
    "parent_stage_id": "s?",
    "session_id": "s?",
    "parent_session_id": "s?",
    "mutation_scope": "s?",
    "approval_policy": ("o", APPROVAL_POLICY),
    "task": "s",
    "request": "a",
    "provenance": "a",
    "status": "s:completed",
    "started_at": "s",
    "finished_at": "s?",
    "run_id": "s?",
    "run_path": "s?",
    "snapshot_path": "s?",
    "execution": ("o", EXECUTION),
}

HITL_QUESTION: Schema = {
    "request_id": "s",
    "prompt": "s",
    "agent": "s",
    "trace_id": "s?",
    "asked_at": "s",
}

HANDOFF: Schema = {
    "_type": "s",
    "id": "s",
    "parent_run_id": "s?",
    "source_persona": "s",
    "target_persona_or_human": "m",
    "task": "s",
    "reason": "s",
    "evidence_refs": "la",
    "files_or_entities_touched": "ls",
    "open_questions": "ls",
    "blocked_on": "ls",
    "requested_capabilities": "ls",
    "allowed_side_effects": "ls",
    "budget_remaining": "a",
    "deadline_checkback": "a",
    "confidence": "f?",
    "receipt_links": "la",
    "created_at": "s",
    "metadata": "m",
}

POLICY: Schema = {
    "tools": "ls",
    "capabilities": "m",
    "workspace_roots": "ls",
    "side_effect_level": "s?",
    "recursion_limit": "i?",
    "tool_arg_constraints": "la",
    "tool_annotations": "m",
}

STAGE_ASSERTION: Schema = {
    "node_id": "s",
    "expected_status": "s",
    "expected_outcome": "s",
    "expected_branch": "s?",
    "required_artifact_kinds": "ls",
    "visible_text_contains": "s?",
}

REPLAY_FIXTURE: Schema = {
    "_type": "s",
    "id": "s",
    "source_run_id": "s",
    "workflow_id": "s",
    "workflow_name": "s?",
    "created_at": "s",
    "eval_kind": "s?",
    "clarifying_question": "a",
    "expected_status": "s",
    "stage_assertions": ("l", STAGE_ASSERTION),
}

TRACE_SPAN: Schema = {
    "span_id": "i",
    "parent_id": "i?",
    "kind": "s",
    "name": "s",
    "start_ms": "i",
    "duration_ms": "i",
    "metadata": "m",
}

TOOL_RECORDING: Schema = {
    "tool_name": "s",
    "tool_use_id": "s",
    "args_hash": "s",
    "result": "s",
    "is_rejected": "b",
    "duration_ms": "i",
    "iteration": "i",
    "timestamp": "s",
}

COMPACTION_EVENT: Schema = {
    "id": "s",
    "transcript_id": "s?",
    "stage_id": "s?",
    "node_id": "s?",
    "mode": "s",
    "strategy": "s",
    "archived_messages": "i",
    "estimated_tokens_before": "i",
    "estimated_tokens_after": "i",
    "snapshot_asset_id": "s?",
    "snapshot_location": "s",
    "snapshot_path": "s?",
    "available": "b",
}

DAEMON_EVENT: Schema = {
    "daemon_id": "s",
    "name": "s",
    "kind": "s:spawned",
    "timestamp": "s",
    "persist_path": "s",
    "payload_summary": "s?",
}

OBSERVABILITY: Schema = {
    "schema_version": "i",
    "planner_rounds": "la",
    "research_fact_count": "i",
    "action_graph_nodes": "la",
    "action_graph_edges": "la",
    "worker_lineage": "la",
    "verification_outcomes": "la",
    "transcript_pointers": "la",
    "compaction_events": ("l", COMPACTION_EVENT),
    "daemon_events": ("l", DAEMON_EVENT),
}

RUN: Schema = {
    "_type": "s",
    "id": "s",
    "workflow_id": "s",
    "workflow_name": "s?",
    "task": "s",
    "status": "s",
    "started_at": "s",
    "finished_at": "s?",
    "parent_run_id": "s?",
    "root_run_id": "s?",
    "stages": ("l", STAGE),
    "transitions": ("l", TRANSITION),
    "checkpoints": ("l", CHECKPOINT),
    "pending_nodes": "ls",
    "completed_nodes": "ls",
    "child_runs": ("l", CHILD_RUN),
    "artifacts": ("l", ARTIFACT),
    "handoffs": ("l", HANDOFF),
    "policy": ("O", POLICY),
    "execution": ("o", EXECUTION),
    "transcript": "a",
    "usage": ("o", USAGE),
    "replay_fixture": ("o", REPLAY_FIXTURE),
    "observability": ("o", OBSERVABILITY),
    "trace_spans": ("l", TRACE_SPAN),
    "tool_recordings": ("l", TOOL_RECORDING),
    "hitl_questions": ("l", HITL_QUESTION),
    "metadata": "m",
    "persisted_path": "s?",
}
