"""The AgentEvent variants of current Harn (58, `agent_events` enum), Harn's persona JSONL and
session links through `stages[].metadata.session_id`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.analysis.agent_events import AGENT_EVENT_TYPES
from harn_tui.core.analysis.timeline import KNOWN_TYPES, build_timeline, describe
from harn_tui.core.eventlog.sessions import SessionEvent, legacy_sessions
from harn_tui.core.format import derive

MORE = Path(__file__).resolve().parents[1] / "fixtures" / "harn" / "more"


def d(type_: str, /, **fields: Any) -> Any:
    return describe(SessionEvent(1, 1000, {"type": type_, "session_id": "s", **fields}, type_))


def test_every_current_variant_has_a_description() -> None:
    assert len(AGENT_EVENT_TYPES) == 58
    assert set(AGENT_EVENT_TYPES) <= KNOWN_TYPES
    for kind in AGENT_EVENT_TYPES:
        item = d(kind)
        assert item.known and item.title and "\n" not in item.title, kind


@pytest.mark.parametrize(
    ("kind", "fields", "title"),
    [
        ("anchor_changed", {"current": {"path": "/w/b"}, "compacted": True}, "anchor changed → /w/b compacted"),
        ("step_judge_decision", {"verdict": "block", "vetoed": True, "confidence": 0.9,
                                 "judge_duration_ms": 120, "cost_usd": 0.002},
         "step judge block vetoed conf 0.90 $0.0020 120ms"),
        ("structural_validator_decision", {"rule": "json", "vetoed": False, "recommended_action": "retry",
                                           "attempts": 1, "max_attempts": 3},
         "structural check json ok → retry 1/3"),
        ("scope_classifier_verdict", {"label": "escalate", "original_label": "trivial", "confidence": 0.4,
                                      "confidence_threshold": 0.65},
         "scope escalate (was trivial) conf 0.40/0.65"),
        ("missing_tool_call_verdict", {"action": "nudge", "original_action": "nudge", "tool_name": "edit",
                                       "confidence": 0.8},
         "missing tool call nudge [edit] conf 0.80"),
        ("budget_circuit_breaker", {"kind": "provider", "consecutive_count": 3, "paused_for_ms": 2000},
         "budget circuit breaker provider after 3 failures (paused 2.0s)"),
        ("skill_narrow", {"reason": "unused", "removed_tools": ["a", "b"], "remaining_tools": ["c"]},
         "tools narrowed −2 (1 left) unused"),
        ("transcript_projected", {"policy": "tail", "kept_count": 4, "dropped_count": 2},
         "transcript projected tail kept 4 dropped 2"),
        ("reminder_emitted", {"body": "stay on task", "rendered_role": "system"}, "reminder [system] stay on task"),
        ("staged_writes_pending", {"pending_count": 2, "total_bytes": 10}, "staged writes 2 pending (10 bytes)"),
        ("safe_text_patch_result", {"path": "a.rs", "result": "conflict", "hunks_count": 3, "failed_hunk_index": 1},
         "text patch a.rs conflict 3 hunks (hunk 1 failed)"),
        ("control_outcome", {"method": "cancel", "outcome": "rejected", "status": "late"},
         "control cancel rejected late"),
        ("capability_gap", {"capability": "tools", "provider": "p", "model": "m", "fallback_tool_format": "text"},
         "capability gap tools p/m → text"),
        ("tool_format_override", {"requested_format": "native", "recommended_format": "text"},
         "tool format native (recommended text)"),
        ("composition_start", {"run": {"name": "snip"}}, "composition start snip"),
        ("composition_child_call", {"call": {"binding": "gh.get"}}, "composition child call gh.get"),
        ("composition_child_result", {"result": {"binding": "gh.get", "status": "ok"}},
         "composition child result gh.get ok"),
        ("composition_finish", {"run": {"name": "snip"}}, "composition finish snip"),
        ("composition_error", {"run": {"name": "snip", "error": "boom"}}, "composition error snip ✗ boom"),
        ("loop_checkpoint", {"kind": "pre_tool_dispatch", "delivered": 2, "dispatch_skipped": True},
         "loop checkpoint pre_tool_dispatch 2 delivered dispatch skipped"),
        ("mcp_notification", {"server": "gh", "direction": "notification", "method": "notifications/progress"},
         "mcp gh notification notifications/progress"),
        ("mcp_catalog_changed", {"reason": "list_changed"}, "mcp catalog changed (all) list_changed"),
        ("mcp_auth_required", {"server": "gh", "scope": "repo"}, "mcp auth required gh scope repo"),
        # changed fields
        ("iteration_start", {"iteration": 2, "provider": "anthropic", "model": "claude"},
         "iteration 2 → anthropic/claude"),
        ("iteration_end", {"iteration": 2, "iteration_info": {"model": "m", "tool_count": 1, "input_tokens": 5,
                                                              "output_tokens": 3, "response_ms": 900}},
         "iteration 2 end m · 1 tool · 5/3 tok · 900ms"),
        ("transcript_compacted", {"archived_messages": 3, "estimated_tokens_before": 100,
                                  "estimated_tokens_after": 40, "strategy": "llm", "reason": "budget",
                                  "compaction_policy": {"name": "hybrid"}},
         "compacted 3 msgs 100→40 tokens (llm) policy hybrid · budget"),
        ("budget_exhausted", {"max_iterations": 5, "kind": "cost", "cost_usd": 1.5, "wall_clock_ms": 3000},
         "budget exhausted cost (max 5 iterations, $1.5000, 3.0s)"),
        ("judge_decision", {"verdict": "done", "trigger": "final"}, "judge done [final]"),
        ("tool_call_audit", {"tool_name": "edit", "audit": {}, "receipt": {"id": "r"}}, "audit edit + receipt"),
        ("user_message", {"message_id": "m1", "content": [{"type": "text", "text": "hi"}, {"type": "image"}]},
         "user: hi [image]"),
    ],
)  # fmt: skip
def test_later_variant_one_line(kind: str, fields: dict[str, Any], title: str) -> None:
    item = d(kind, **fields)
    assert item.title == title
    assert item.known


def test_unknown_type_stays_generic_with_raw_json() -> None:
    item = d("from_the_future", x=1)
    assert not item.known and item.lane == "other" and '"x": 1' in item.body


def test_persona_jsonl_sessions_read_with_their_details(tmp_path: Path) -> None:
    # examples/personas/merge_captain/transcripts (07ad206c), in the legacy sink layout
    logs = tmp_path / "logs"
    shutil.copytree(MORE / "later-agent-sessions", logs)
    found = legacy_sessions([logs], ["merge-captain-green", "merge-captain-failing"])
    assert set(found) == {"merge-captain-green", "merge-captain-failing"}
    titles = [row.item.title for row in build_timeline(found["merge-captain-failing"])]
    assert any(t == "orchestration decision failing CI: high risk; needs human" for t in titles)
    assert any("[not_applied]" in t for t in titles)  # mutation_status shown
    assert any(t.startswith("handoff → review_captain") for t in titles)  # target named by `name`
    assert all(row.item.known for row in build_timeline(found["merge-captain-green"]))


def test_runs_view_session_linked_through_stage_metadata() -> None:
    # crates/harn-cli/tests `harn runs view`: the run's session is session_1
    for name in ("one.json", "two.json"):
        run = json.loads((MORE / "later-runs-view" / name).read_text())
        assert "session_1" in derive.linked_session_ids(run)
