"""One-line renderings of the AgentEvent variants later Harn adds (0.8.x to 0.10.x).

Current Harn's `agent_events` enum has 58 variants (`AGENT_EVENT_TYPES`); the
0.7.50 / early-0.8 ones are described in :mod:`harn_tui.core.analysis.timeline`, the rest
here, with the fields each variant carries. Unknown types stay generic there.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from harn_tui.core.format.plural import plural
from harn_tui.core.format.timestamps import format_duration

if TYPE_CHECKING:
    from harn_tui.core.analysis.timeline import TimelineItem

#: Every `type` of current Harn's AgentEvent enum (58 variants), in declaration order.
AGENT_EVENT_TYPES = (
    "agent_message_chunk", "agent_thought_chunk", "user_message", "tool_call",
    "tool_call_update", "plan", "progress_reported", "compass_routing_decision",
    "agent_scratchpad_reorganization", "artifact", "iteration_start", "iteration_end",
    "session_closed", "anchor_changed", "judge_decision", "step_judge_decision",
    "structural_validator_decision", "scope_classifier_verdict", "missing_tool_call_verdict",
    "typed_checkpoint", "feedback_injected", "budget_exhausted", "budget_circuit_breaker",
    "loop_stuck", "daemon_watchdog_tripped", "skill_activated", "skill_deactivated",
    "skill_scope_tools", "skill_narrow", "tool_search_query", "tool_search_result",
    "transcript_compacted", "transcript_projected", "reminder_emitted", "handoff", "fs_watch",
    "staged_writes_pending", "safe_text_patch_result", "control_outcome", "worker_update",
    "hitl_requested", "hitl_resolved", "loop_control_decision", "agent_loop_stall_warning",
    "capability_gap", "tool_format_override", "tool_call_audit", "cache_hit", "cache_miss",
    "composition_start", "composition_child_call", "composition_child_result",
    "composition_finish", "composition_error", "loop_checkpoint", "mcp_notification",
    "mcp_catalog_changed", "mcp_auth_required",
)  # fmt: skip


def _t() -> ModuleType:
    """The timeline module's field helpers (imported late: it imports this module)."""
    from harn_tui.core.analysis import timeline

    return timeline


def _pct(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{value:.2f}"


def _user_message(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    content = ev.get("content", ev.get("message", ev.get("text")))
    if isinstance(content, list):  # 0.10.x: content blocks
        parts = []
        for block in content:
            if isinstance(block, dict):
                parts.append(t._s(block, "text") or f"[{t._s(block, 'type') or 'block'}]")
            elif isinstance(block, str):
                parts.append(block)
        text = " ".join(p for p in parts if p)
    else:
        text = t._text_of(content)
    return t._item("message", t._join("user:", t._short(text, 70)), body=t._text_of(content))


def _iteration_start(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    number = t._i(ev, "iteration")
    target = "/".join(p for p in (t._s(ev, "provider"), t._s(ev, "model")) if p)
    title = t._join(
        "iteration", "" if number is None else str(number), f"→ {target}" if target else ""
    )
    return t._item("turn", title)


def _iteration_end(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    number = t._i(ev, "iteration")
    info = ev.get("iteration_info", ev.get("turn_info"))
    facts = []
    if isinstance(info, dict):
        model = t._s(info, "model")
        if model:
            facts.append(model)
        tools = t._i(info, "tool_count")
        if tools is not None:
            facts.append(plural(tools, "tool"))
        tin, tout = t._i(info, "input_tokens"), t._i(info, "output_tokens")
        if tin is not None or tout is not None:
            facts.append(f"{tin or 0}/{tout or 0} tok")
        ms = t._i(info, "response_ms")
        if ms is not None:
            facts.append(format_duration(ms))
        reason = t._s(info, "reason")
        if reason:
            facts.append(reason)
    title = t._join("iteration", "" if number is None else str(number), "end", " · ".join(facts))
    return t._item("turn", title, body=t._text_of(info))


def _anchor(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    current = ev.get("current")
    label = t._s(current, "path") or t._s(current, "root") if isinstance(current, dict) else ""
    flags = [f for f, on in (("carry transcript", ev.get("carry_transcript") is True),
                             ("compacted", ev.get("compacted") is True)) if on]  # fmt: skip
    title = t._join("anchor changed", f"→ {t._short(label, 50)}" if label else "", ", ".join(flags))
    return t._item("session", title, body=t._s(ev, "reason") or t._text_of(current))


def _judge(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    verdict = t._s(ev, "verdict") or "?"
    nxt = t._s(ev, "next_step")
    duration = t._i(ev, "judge_duration_ms")
    trigger = t._s(ev, "trigger")
    title = t._join(
        "judge", verdict, f"[{trigger}]" if trigger else "",
        f"→ {t._short(nxt, 40)}" if nxt else "", format_duration(duration),
    )  # fmt: skip
    return t._item("judge", title, body=t._s(ev, "reasoning"), status=verdict, duration_ms=duration)


def _step_judge(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    verdict = t._s(ev, "verdict") or "?"
    state = (
        "vetoed" if ev.get("vetoed") is True else ("skipped" if ev.get("skipped") is True else "")
    )
    if ev.get("judge_error") is True:
        state = "judge unavailable"
    cost = ev.get("cost_usd")
    title = t._join(
        "step judge", verdict, state, f"conf {_pct(ev.get('confidence'))}" if _pct(ev.get("confidence")) else "",
        f"${cost:.4f}" if isinstance(cost, int | float) and not isinstance(cost, bool) and cost else "",
        format_duration(t._i(ev, "judge_duration_ms")),
    )  # fmt: skip
    body = t._s(ev, "critique") or t._s(ev, "reasoning")
    return t._item("judge", title, body=body, status=verdict, is_error=ev.get("vetoed") is True)


def _structural(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    rule = t._s(ev, "rule") or "rule"
    action = t._s(ev, "recommended_action")
    attempts, most = t._i(ev, "attempts"), t._i(ev, "max_attempts")
    tries = f"{attempts}/{most}" if attempts is not None and most is not None else ""
    state = (
        "vetoed" if ev.get("vetoed") is True else ("skipped" if ev.get("skipped") is True else "ok")
    )
    title = t._join("structural check", rule, state, f"→ {action}" if action else "", tries)
    return t._item("judge", title, body=t._s(ev, "diagnostic"), is_error=ev.get("vetoed") is True)


def _classifier(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    if kind == "scope_classifier_verdict":
        head, label, original = "scope", t._s(ev, "label"), t._s(ev, "original_label")
        extra = "skip main turn" if ev.get("skip_main_turn") is True else ""
    else:
        head, label, original = "missing tool call", t._s(ev, "action"), t._s(ev, "original_action")
        tool = t._s(ev, "tool_name")
        extra = f"[{tool}]" if tool else ""
    changed = f"(was {original})" if original and original != label else ""
    conf = _pct(ev.get("confidence"))
    threshold = _pct(ev.get("confidence_threshold"))
    confidence = (
        f"conf {conf}/{threshold}" if conf and threshold else (f"conf {conf}" if conf else "")
    )
    error = t._s(ev, "error")
    title = t._join(
        head, label or "?", changed, extra, confidence, f"✗ {t._short(error, 40)}" if error else ""
    )
    return t._item(
        "judge", title, body=t._s(ev, "evidence"), status=label or None, is_error=bool(error)
    )


def _feedback(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    fkind = t._s(ev, "kind") or "feedback"
    content = t._text_of(ev.get("content"))
    tool = t._s(ev, "tool_name")
    title = t._join("feedback", fkind, f"[{tool}]" if tool else "", "·", t._short(content, 60))
    return t._item("feedback", title.rstrip(" ·"), body=content)


def _budget(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    limit = t._i(ev, "max_iterations")
    bkind = t._s(ev, "kind")
    cost = ev.get("cost_usd")
    wall = t._i(ev, "wall_clock_ms")
    facts = [f"max {limit} iterations" if limit is not None else ""]
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        facts.append(f"${cost:.4f}")
    if wall is not None:
        facts.append(format_duration(wall))
    head = f"budget exhausted {bkind}" if bkind else "budget exhausted"
    detail = ", ".join(f for f in facts if f)
    title = f"{head} ({detail})" if detail else head
    return t._item("warning", title, is_error=True, duration_ms=wall)


def _breaker(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    count, paused = t._i(ev, "consecutive_count"), t._i(ev, "paused_for_ms")
    title = t._join(
        "budget circuit breaker", t._s(ev, "kind"),
        f"after {count} failures" if count is not None else "",
        f"(paused {format_duration(paused)})" if paused else "",
    )  # fmt: skip
    return t._item("warning", title, is_error=True)


def _skill_narrow(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    removed, remaining = ev.get("removed_tools"), ev.get("remaining_tools")
    title = t._join(
        "tools narrowed",
        f"−{t._n(removed)}",
        f"({t._n(remaining)} left)",
        t._short(t._s(ev, "reason"), 40),
    )
    return t._item("skill", title, body=t._text_of(removed))


def _compacted(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    archived = t._i(ev, "archived_messages")
    before, after = t._i(ev, "estimated_tokens_before"), t._i(ev, "estimated_tokens_after")
    tokens = f"{before if before is not None else '?'}→{after if after is not None else '?'} tokens"
    how = t._s(ev, "strategy") or t._s(ev, "mode")
    policy = ev.get("compaction_policy")
    policy_name = (
        t._s(policy, "name") if isinstance(policy, dict) else t._s(ev, "compaction_policy")
    )
    reason = t._s(ev, "reason")
    title = t._join(
        "compacted", f"{archived} msgs" if archived is not None else "",
        tokens if before is not None or after is not None else "",
        f"({how})" if how else "", f"policy {policy_name}" if policy_name else "",
        f"· {t._short(reason, 40)}" if reason else "",
    )  # fmt: skip
    return t._item("compaction", title, body=t._text_of(policy) if policy is not None else "")


def _projected(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    kept, dropped = t._i(ev, "kept_count"), t._i(ev, "dropped_count")
    title = t._join(
        "transcript projected", t._s(ev, "policy"),
        f"kept {kept}" if kept is not None else "", f"dropped {dropped}" if dropped is not None else "",
        "safety blocked" if ev.get("provider_safety_blocked") is True else "",
    )  # fmt: skip
    return t._item("compaction", title, body=t._s(ev, "reason"))


def _reminder(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    body = t._s(ev, "body")
    role = t._s(ev, "rendered_role") or t._s(ev, "role_hint")
    title = t._join("reminder", f"[{role}]" if role else "", t._short(body, 60))
    return t._item("feedback", title, body=body)


def _staged(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    count, size = t._i(ev, "pending_count"), t._i(ev, "total_bytes")
    title = t._join(
        "staged writes",
        f"{count} pending" if count is not None else "",
        f"({size} bytes)" if size is not None else "",
    )
    return t._item("fs", title)


def _patch(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    result = t._s(ev, "result") or "?"
    hunks = t._i(ev, "hunks_count")
    failed = t._i(ev, "failed_hunk_index")
    title = t._join(
        "text patch", t._short(t._s(ev, "path"), 50), result,
        f"{hunks} hunks" if hunks is not None else "",
        f"(hunk {failed} failed)" if failed is not None else "",
    )  # fmt: skip
    return t._item("fs", title, status=result, is_error=failed is not None)


def _control(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    outcome = t._s(ev, "outcome") or "?"
    title = t._join("control", t._s(ev, "method"), outcome, t._s(ev, "status"))
    return t._item(
        "session", title, body=t._s(ev, "reason") or t._text_of(ev.get("actor")), status=outcome
    )


def _capability_gap(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    target = "/".join(p for p in (t._s(ev, "provider"), t._s(ev, "model")) if p)
    title = t._join(
        "capability gap", t._s(ev, "capability"), target, f"→ {t._s(ev, 'fallback_tool_format')}"
    )
    return t._item("warning", title, body=t._s(ev, "message"), status=t._s(ev, "level") or None)


def _format_override(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    target = "/".join(p for p in (t._s(ev, "provider"), t._s(ev, "model")) if p)
    title = t._join(
        "tool format",
        t._s(ev, "requested_format"),
        f"(recommended {t._s(ev, 'recommended_format')})",
        target,
    )
    return t._item("warning", title, body=t._s(ev, "override_reason"))


def _audit(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    name = t._s(ev, "tool_name") or "tool"
    receipt = ev.get("receipt")
    title = t._join("audit", name, "+ receipt" if isinstance(receipt, dict) else "")
    body = t._text_of(
        {"audit": ev.get("audit"), "receipt": receipt} if receipt is not None else ev.get("audit")
    )
    return t._item("tool", title, body=body, tool_call_id=t._s(ev, "tool_call_id") or None)


def _envelope_name(value: Any) -> str:
    t = _t()
    if not isinstance(value, dict):
        return ""
    for key in ("binding", "name", "snippet_id", "operation", "id", "call_id"):
        text = t._s(value, key)
        if text:
            return text
    return ""


def _composition(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    phase = kind.removeprefix("composition_").replace("_", " ")
    payload = ev.get("run", ev.get("call", ev.get("result")))
    status = t._s(payload, "status") if isinstance(payload, dict) else ""
    error = t._s(payload, "error") if isinstance(payload, dict) else ""
    title = t._join(
        "composition",
        phase,
        _envelope_name(payload),
        status,
        f"✗ {t._short(error, 40)}" if error else "",
    )
    return t._item(
        "tool", title, body=t._text_of(payload), is_error=kind == "composition_error" or bool(error)
    )


def _loop_checkpoint(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    delivered, inbox = t._i(ev, "delivered"), t._i(ev, "inbox_delivered")
    title = t._join(
        "loop checkpoint", t._s(ev, "kind"),
        f"{delivered} delivered" if delivered else "", f"{inbox} from inbox" if inbox else "",
        "dispatch skipped" if ev.get("dispatch_skipped") is True else "",
    )  # fmt: skip
    return t._item("checkpoint", title)


def _mcp(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    server = t._s(ev, "server")
    if kind == "mcp_notification":
        title = t._join("mcp", server, t._s(ev, "direction"), t._s(ev, "method"))
        return t._item("session", title, body=t._text_of(ev.get("params")))
    if kind == "mcp_catalog_changed":
        return t._item(
            "session", t._join("mcp catalog changed", server or "(all)", t._s(ev, "reason"))
        )
    scope = t._s(ev, "scope")
    title = t._join("mcp auth required", server, f"scope {scope}" if scope else "")
    return t._item("hitl", title, body=t._s(ev, "resource"), is_hitl=True)


def _orchestration(ev: dict[str, Any], kind: str) -> TimelineItem:
    """Legacy persona JSONL: `decision.summary` is the line."""
    t = _t()
    decision = ev.get("decision")
    summary = ""
    if isinstance(decision, dict):
        summary = (
            t._s(decision, "summary") or t._s(decision, "decision") or t._s(decision, "action")
        )
    title = t._join("orchestration decision", t._short(summary, 60) or t._s(ev, "decision"))
    return t._item("judge", title, body=t._text_of(decision))


def _artifact(ev: dict[str, Any], kind: str) -> TimelineItem:
    t = _t()
    art = ev.get("artifact") if isinstance(ev.get("artifact"), dict) else ev
    name = (
        t._s(art, "title")
        or t._s(art, "kind")
        or t._s(art, "label")
        or t._s(art, "artifact_id")
        or t._s(art, "id")
    )
    mime = t._s(art, "mime_type")
    return t._item(
        "handoff", t._join("artifact", t._short(name, 50), f"({mime})" if mime else ""),
        body=t._s(art, "fallback") or t._text_of(ev.get("spec", ev.get("artifact"))),
    )  # fmt: skip


DESCRIBERS: dict[str, Callable[[dict[str, Any], str], TimelineItem]] = {
    "user_message": _user_message,
    "iteration_start": _iteration_start,
    "iteration_end": _iteration_end,
    "anchor_changed": _anchor,
    "judge_decision": _judge,
    "step_judge_decision": _step_judge,
    "structural_validator_decision": _structural,
    "scope_classifier_verdict": _classifier,
    "missing_tool_call_verdict": _classifier,
    "feedback_injected": _feedback,
    "budget_exhausted": _budget,
    "budget_circuit_breaker": _breaker,
    "skill_narrow": _skill_narrow,
    "transcript_compacted": _compacted,
    "transcript_projected": _projected,
    "reminder_emitted": _reminder,
    "staged_writes_pending": _staged,
    "safe_text_patch_result": _patch,
    "control_outcome": _control,
    "capability_gap": _capability_gap,
    "tool_format_override": _format_override,
    "tool_call_audit": _audit,
    "composition_start": _composition,
    "composition_child_call": _composition,
    "composition_child_result": _composition,
    "composition_finish": _composition,
    "composition_error": _composition,
    "loop_checkpoint": _loop_checkpoint,
    "mcp_notification": _mcp,
    "mcp_catalog_changed": _mcp,
    "mcp_auth_required": _mcp,
    "orchestration_decision": _orchestration,
    "artifact": _artifact,
}
