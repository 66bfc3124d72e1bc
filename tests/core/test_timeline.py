"""Tests for harn_tui.core.analysis.timeline (spec §5.3): every variant, malformed input, chunks, pairing."""

from __future__ import annotations

from typing import Any

import pytest

from harn_tui.core.analysis.timeline import (
    KNOWN_TYPES,
    LANE_ICONS,
    build_timeline,
    coalesce_chunks,
    describe,
    pair_tool_calls,
)
from harn_tui.core.eventlog.sessions import SessionEvent


def ev(event: Any, event_id: int = 1, at: int | None = 1000, kind: str = "") -> SessionEvent:
    return SessionEvent(event_id, at, event, kind or (event.get("type", "") if isinstance(event, dict) else ""))


def d(type_: str, /, **fields: Any) -> Any:
    return describe(ev({"type": type_, "session_id": "s1", **fields}))


# (type, fields, lane, expected title fragment, is_error, is_hitl, is_tool_call)
VARIANTS: list[tuple[str, dict[str, Any], str, str, bool, bool, bool]] = [
    ("agent_message_chunk", {"content": "Hello"}, "message", "Hello", False, False, False),
    ("agent_thought_chunk", {"content": "hmm"}, "thought", "hmm", False, False, False),
    (
        "tool_call",
        {"tool_call_id": "tc", "tool_name": "read_file", "kind": "read", "status": "pending", "raw_input": {}},
        "tool", "read_file (read) …", False, False, True,
    ),
    (
        "tool_call_update",
        {"tool_call_id": "tc", "tool_name": "read_file", "status": "completed", "raw_output": "x",
         "error": None, "duration_ms": 41},
        "tool", "read_file ✓ 41ms", False, False, False,
    ),
    (
        "tool_call_update",
        {"tool_call_id": "tc", "tool_name": "run", "status": "failed", "raw_output": None,
         "error": "boom", "error_category": "timeout"},
        "tool", "run ✗ timeout — boom", True, False, False,
    ),
    ("plan", {"plan": {"entries": [1, 2, 3]}}, "plan", "plan updated (3 steps)", False, False, False),
    ("turn_start", {"iteration": 3}, "turn", "turn 3", False, False, False),
    ("turn_end", {"iteration": 3, "turn_info": {}}, "turn", "turn 3 end", False, False, False),
    ("feedback_injected", {"kind": "nudge", "content": "try again"}, "feedback", "feedback nudge · try again", False, False, False),
    ("budget_exhausted", {"max_iterations": 10}, "warning", "budget exhausted (max 10 iterations)", True, False, False),
    ("loop_stuck", {"max_nudges": 3, "last_iteration": 7, "tail_excerpt": "..."}, "warning", "loop stuck after 3 nudges (iteration 7)", True, False, False),
    ("daemon_watchdog_tripped", {"attempts": 2, "elapsed_ms": 5000}, "warning", "daemon watchdog tripped after 2 attempts (5.0s)", True, False, False),
    ("skill_activated", {"skill_name": "review", "iteration": 1, "reason": "asked"}, "skill", "skill review activated", False, False, False),
    ("skill_deactivated", {"skill_name": "review", "iteration": 2}, "skill", "skill review deactivated", False, False, False),
    ("skill_scope_tools", {"skill_name": "review", "allowed_tools": ["a", "b"]}, "skill", "skill review scopes 2 tools", False, False, False),
    ("tool_search_query", {"tool_use_id": "u", "name": "s", "query": "grep", "strategy": "bm25", "mode": "client"}, "search", "tool search (bm25) grep", False, False, False),
    ("tool_search_result", {"tool_use_id": "u", "promoted": ["a"], "strategy": "bm25", "mode": "client"}, "search", "tool search → 1 promoted", False, False, False),
    (
        "transcript_compacted",
        {"mode": "auto", "strategy": "summarize", "archived_messages": 12, "estimated_tokens_before": 9000,
         "estimated_tokens_after": 2000, "snapshot_asset_id": None},
        "compaction", "compacted 12 msgs 9000→2000 tokens (summarize)", False, False, False,
    ),
    (
        "handoff",
        {"artifact_id": "a1", "handoff": {"task": "review it", "target_persona_or_human": {"kind": "human", "label": "Ann"}}},
        "handoff", "handoff → Ann review it", False, False, False,
    ),
    ("fs_watch", {"subscription_id": "w", "events": [{"kind": "modify", "relative_paths": ["a.rs"]}]}, "fs", "fs watch: 1 event a.rs", False, False, False),
    (
        "worker_update",
        {"worker_id": "w1", "worker_name": "researcher", "worker_task": "t", "worker_mode": "sub_agent",
         "event": "WorkerCompleted", "status": "completed", "metadata": {}, "audit": None},
        "worker", "worker researcher completed", False, False, False,
    ),
    (
        "worker_update",
        {"worker_id": "w1", "worker_name": "researcher", "event": "WorkerFailed", "status": "failed"},
        "worker", "worker researcher failed", True, False, False,
    ),
    ("progress_reported", {"message": "50% done", "entries": [], "replace": False, "metadata": {}}, "progress", "progress 50% done", False, False, False),
    ("session_closed", {"reason": "done", "status": "completed", "metadata": {}}, "session", "session closed completed (done)", False, False, False),
    ("session_closed", {"reason": "crash", "status": "failed", "metadata": {}}, "session", "session closed failed (crash)", True, False, False),
    ("judge_decision", {"iteration": 2, "verdict": "continue", "reasoning": "r", "next_step": "fix", "judge_duration_ms": 12}, "judge", "judge continue → fix 12ms", False, False, False),
    ("typed_checkpoint", {"checkpoint": {"kind": "milestone"}}, "checkpoint", "checkpoint milestone", False, False, False),
    ("hitl_requested", {"request_id": "h1", "kind": "approval", "payload": {}}, "hitl", "HITL requested approval (h1)", False, True, False),
    ("hitl_resolved", {"request_id": "h1", "kind": "approval", "outcome": "answered"}, "hitl", "HITL resolved approval answered", False, True, False),
    ("loop_control_decision", {"iteration": 4, "action": "extend", "old_limit": 10, "new_limit": 20, "reason": "r", "status": "ok"}, "turn", "loop control extend 10→20", False, False, False),
    ("agent_loop_stall_warning", {"warning": {"message": "no progress"}}, "warning", "agent loop stall · no progress", True, False, False),
    ("tool_call_audit", {"tool_call_id": "tc", "tool_name": "edit", "audit": {}}, "tool", "audit edit", False, False, False),
    ("cache_hit", {"key": "k1", "backend": "mem", "namespace": "llm", "payload": {}}, "cache", "cache hit llm k1", False, False, False),
    ("cache_miss", {"key": "k1", "backend": "mem", "namespace": "llm", "payload": {}}, "cache", "cache miss llm k1", False, False, False),
    # later renames / additions
    ("iteration_start", {"iteration": 5}, "turn", "iteration 5", False, False, False),
    ("iteration_end", {"iteration": 5}, "turn", "iteration 5 end", False, False, False),
    ("turn_phase_changed", {"iteration": 5, "phase": "act"}, "turn", "turn 5 phase changed → act", False, False, False),
    ("turn_something_new", {}, "turn", "turn something new", False, False, False),
    ("session_health", {"status": "ok"}, "session", "session health ok", False, False, False),
    ("user_message", {"content": "please"}, "message", "user: please", False, False, False),
    ("plan_document_updated", {"plan": ["a"]}, "plan", "plan document updated (1 steps)", False, False, False),
    ("orchestration_decision", {"decision": "fan_out"}, "judge", "orchestration decision fan_out", False, False, False),
    ("purpose_label", {"label": "refactor"}, "session", "purpose refactor", False, False, False),
    ("compass_routing_decision", {"route": "fast"}, "judge", "compass routing decision fast", False, False, False),
    ("agent_scratchpad_reorganization", {}, "compaction", "scratchpad reorganized", False, False, False),
    ("artifact", {"artifact": {"kind": "diff"}}, "handoff", "artifact diff", False, False, False),
]


@pytest.mark.parametrize(
    ("kind", "fields", "lane", "title", "is_error", "is_hitl", "is_tool_call"),
    VARIANTS,
    ids=[f"{v[0]}-{i}" for i, v in enumerate(VARIANTS)],
)
def test_variant(
    kind: str, fields: dict[str, Any], lane: str, title: str, is_error: bool, is_hitl: bool, is_tool_call: bool
) -> None:
    item = d(kind, **fields)
    assert item.lane == lane
    assert item.title == title
    assert item.is_error is is_error
    assert item.is_hitl is is_hitl
    assert item.is_tool_call is is_tool_call
    assert item.icon == LANE_ICONS[lane] and len(item.icon) == 1
    assert item.type == kind
    assert item.known


def test_all_31_spec_variants_are_known() -> None:
    spec = {v[0] for v in VARIANTS[: VARIANTS.index(next(v for v in VARIANTS if v[0] == "cache_miss")) + 1]}
    assert len(spec) == 31
    assert spec <= KNOWN_TYPES


def test_tool_update_fields() -> None:
    item = d("tool_call_update", tool_call_id="t", tool_name="x", status="completed", raw_output={"a": 1}, duration_ms=41)
    assert item.status == "completed"
    assert item.duration_ms == 41
    assert '"a": 1' in item.body
    failed = d("tool_call", tool_call_id="t", tool_name="x", status="failed")
    assert failed.is_error and failed.is_tool_call


def test_unknown_type_is_generic() -> None:
    item = d("brand_new_event", foo=[1, 2])
    assert item.lane == "other"
    assert item.title == "brand_new_event"
    assert not item.known
    assert '"foo"' in item.body


@pytest.mark.parametrize(
    "raw",
    [None, "text", 42, [1, 2], {"no_type": True}, {"type": 5}, {"type": ""}],
)
def test_malformed_events_never_raise(raw: Any) -> None:
    item = describe(ev(raw, kind="tool_call"))
    assert item.lane in LANE_ICONS
    assert isinstance(item.title, str) and item.title


@pytest.mark.parametrize(
    "junk",
    [None, 7, "str", [1], {"x": {"y": None}}, float("nan"), True],
)
def test_wrong_field_types_never_raise(junk: Any) -> None:
    fields = {
        key: junk
        for key in (
            "content", "tool_call_id", "tool_name", "kind", "status", "raw_input", "raw_output",
            "error", "duration_ms", "plan", "iteration", "turn_info", "max_iterations", "max_nudges",
            "last_iteration", "tail_excerpt", "attempts", "elapsed_ms", "skill_name", "allowed_tools",
            "query", "promoted", "mode", "strategy", "archived_messages", "estimated_tokens_before",
            "handoff", "events", "event", "worker_name", "message", "entries", "reason", "verdict",
            "next_step", "judge_duration_ms", "checkpoint", "request_id", "payload", "outcome",
            "action", "old_limit", "new_limit", "warning", "audit", "key", "namespace", "artifact",
            "label", "phase", "decision",
        )
    }
    for kind in sorted(KNOWN_TYPES):
        item = describe(ev({"type": kind, **fields}))
        assert isinstance(item.title, str), kind
        assert isinstance(item.body, str), kind
        assert item.known, kind


def test_malformed_event_falls_back_to_stored_kind() -> None:
    item = describe(ev("oops", kind="tool_call"))
    assert item.lane == "other"
    assert "tool_call" in item.title and "malformed" in item.title
    assert not item.known


def test_string_numbers_are_coerced() -> None:
    item = d("turn_start", iteration="4")
    assert item.title == "turn 4"
    update = d("tool_call_update", tool_name="x", status="completed", duration_ms="12.0")
    assert update.duration_ms == 12


def chunk(event_id: int, text: str, kind: str = "agent_message_chunk", session: str = "s1", at: int = 0) -> SessionEvent:
    return ev({"type": kind, "session_id": session, "content": text}, event_id, 1000 + at)


def test_coalesce_chunks_groups_consecutive_same_type_and_session() -> None:
    events = [
        chunk(1, "Hel"),
        chunk(2, "lo"),
        chunk(3, "think", "agent_thought_chunk"),
        chunk(4, "ing", "agent_thought_chunk"),
        chunk(5, "other", session="s2"),
        ev({"type": "turn_start", "iteration": 1}, 6),
        chunk(7, "a"),
        chunk(8, "b"),
    ]
    assert coalesce_chunks(events) == [[0, 1], [2, 3], [4], [5], [6, 7]]


def test_build_timeline_joins_chunks_and_offsets() -> None:
    events = [
        chunk(10, "Hel", at=0),
        chunk(11, "lo [b]x", at=5),
        ev({"type": "turn_end", "iteration": 1}, 12, 1250),
        ev({"type": "mystery"}, 13, None),
    ]
    rows = build_timeline(events)
    assert len(rows) == 3
    assert rows[0].item.body == "Hello [b]x"
    assert rows[0].item.title == "Hello [b]x"
    assert rows[0].indexes == [0, 1]
    assert rows[0].key == 10
    assert rows[0].offset_ms == 0
    assert rows[1].offset_ms == 250
    assert rows[1].item.lane == "turn"
    assert rows[2].occurred_at_ms is None and rows[2].offset_ms is None


def test_build_timeline_uses_legacy_emitted_at() -> None:
    rows = build_timeline([ev({"type": "turn_start", "iteration": 1, "emitted_at_ms": 5}, 1, None)])
    assert rows[0].occurred_at_ms == 5


def test_pair_tool_calls() -> None:
    events = [
        ev({"type": "tool_call", "tool_call_id": "a", "tool_name": "read", "status": "pending"}, 1),
        ev({"type": "tool_call", "tool_call_id": "b", "tool_name": "grep", "status": "pending"}, 2),
        ev({"type": "tool_call_update", "tool_call_id": "a", "tool_name": "read", "status": "in_progress"}, 3),
        ev({"type": "tool_call_update", "tool_call_id": "a", "tool_name": "read", "status": "completed", "duration_ms": 41}, 4),
        ev({"type": "tool_call_update", "tool_call_id": "c", "tool_name": "x", "status": "failed", "error": "e"}, 5),
        ev({"type": "tool_call", "tool_call_id": None}, 6),
        ev("broken", 7, kind="tool_call"),
    ]
    assert pair_tool_calls(events) == {"a": (0, 3), "b": (1, None), "c": (None, 4)}
    rows = build_timeline(events)
    assert rows[0].pair == 3 and rows[3].pair == 0
    assert rows[0].item.title == "read ✓ 41ms"
    assert rows[0].item.status == "completed"
    assert rows[1].pair is None
    assert rows[1].item.title == "grep …"


def test_long_durations_read_like_every_other_duration() -> None:
    item = d("judge_decision", iteration=1, verdict="done", reasoning="r", judge_duration_ms=125_000)
    assert item.title == "judge done 2m05s"
    item = d("judge_decision", iteration=1, verdict="done", reasoning="r", judge_duration_ms=4_200)
    assert item.title == "judge done 4.2s"
