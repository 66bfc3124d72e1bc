"""Agent-session replay timeline: one readable row per AgentEvent (spec §5.3).

`describe` turns any stored event (even a malformed one) into a `TimelineItem`;
`build_timeline` coalesces streamed message/thought chunks into single rows,
pairs tool calls with their updates and computes time offsets. No UI imports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harn_tui.core.analysis import agent_events
from harn_tui.core.eventlog.sessions import SessionEvent
from harn_tui.core.format.plural import plural
from harn_tui.core.format.schema import json_int, to_str
from harn_tui.core.format.textsafe import cut
from harn_tui.core.format.timestamps import format_duration

__all__ = [
    "CHUNK_TYPES",
    "LANE_ICONS",
    "TimelineItem",
    "TimelineRow",
    "build_timeline",
    "coalesce_chunks",
    "describe",
    "event_type",
    "pair_tool_calls",
    "pretty_json",
]

#: One glyph per lane (all single-cell).
LANE_ICONS: dict[str, str] = {
    "message": "»",
    "thought": "∴",
    "tool": "⚙",
    "plan": "☰",
    "turn": "↻",
    "feedback": "↩",
    "skill": "★",
    "worker": "⚑",
    "hitl": "?",
    "compaction": "⇊",
    "warning": "!",
    "search": "⌕",
    "handoff": "⇄",
    "fs": "◫",
    "progress": "▸",
    "session": "■",
    "judge": "⚖",
    "checkpoint": "◆",
    "cache": "≡",
    "other": "·",
}

#: Streamed text chunks that are shown as one row when consecutive.
CHUNK_TYPES = frozenset({"agent_message_chunk", "agent_thought_chunk"})

_STATUS_GLYPH = {
    "pending": "…",
    "in_progress": "⋯",
    "completed": "✓",
    "failed": "✗",
}
_TITLE_WIDTH = 80


@dataclass(slots=True)
class TimelineItem:
    """How one event (or one run of coalesced chunks) reads on the timeline."""

    lane: str
    icon: str
    title: str
    body: str = ""
    is_tool_call: bool = False
    is_error: bool = False
    is_hitl: bool = False
    status: str | None = None
    duration_ms: int | None = None
    type: str = ""
    known: bool = True
    tool_call_id: str | None = None


@dataclass(slots=True)
class TimelineRow:
    """A timeline row: its item, the underlying event indexes and its timing."""

    item: TimelineItem
    indexes: list[int]
    occurred_at_ms: int | None
    offset_ms: int | None
    key: Any = None
    pair: int | None = None


# -- tolerant field access ------------------------------------------------------


def _s(event: dict[str, Any], key: str) -> str:
    """A field as text ('' when absent, null or a container)."""
    return to_str(event.get(key))


def _i(event: dict[str, Any], key: str) -> int | None:
    """A field as int (None unless a finite number or numeric text)."""
    value = event.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None
    return None


def _n(value: Any) -> int:
    """Length of a list/dict value (0 otherwise)."""
    return len(value) if isinstance(value, list | dict) else 0


def _short(text: str, width: int = _TITLE_WIDTH) -> str:
    """First line-ish summary of `text`, squashed to one line and cut."""
    return cut(" ".join(text.split()), width)


def pretty_json(value: Any) -> str:
    """Indented JSON (never raises; non-JSON values are stringified)."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _text_of(value: Any) -> str:
    """A value as readable text: strings as is, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return pretty_json(value)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def event_type(event: SessionEvent) -> str:
    """The event's `type` (falling back to the stored kind)."""
    raw = event.event
    if isinstance(raw, dict) and isinstance(raw.get("type"), str) and raw["type"]:
        return raw["type"]
    return event.kind if isinstance(event.kind, str) else ""


# -- per-variant describers -------------------------------------------------------

Describer = Callable[[dict[str, Any], str], TimelineItem]


def _item(lane: str, title: str, **kw: Any) -> TimelineItem:
    return TimelineItem(lane=lane, icon=LANE_ICONS.get(lane, "·"), title=title, **kw)


def _chunk(ev: dict[str, Any], kind: str) -> TimelineItem:
    content = _text_of(ev.get("content"))
    lane = "thought" if kind == "agent_thought_chunk" else "message"
    return _item(lane, _short(content) or f"({kind})", body=content)


def _tool_call(ev: dict[str, Any], kind: str) -> TimelineItem:
    name = _s(ev, "tool_name") or "tool"
    status = _s(ev, "status") or None
    tool_kind = _s(ev, "kind")
    glyph = _STATUS_GLYPH.get(status or "", status or "")
    title = _join(name, f"({tool_kind})" if tool_kind else "", glyph)
    if ev.get("parsing") is True:
        title += " parsing"
    return _item(
        "tool",
        title,
        body=_text_of(ev.get("raw_input")),
        is_tool_call=True,
        is_error=status == "failed",
        status=status,
        tool_call_id=_s(ev, "tool_call_id") or None,
    )


def _tool_update(ev: dict[str, Any], kind: str) -> TimelineItem:
    name = _s(ev, "tool_name") or "tool"
    status = _s(ev, "status") or None
    error = _s(ev, "error")
    duration = _i(ev, "duration_ms")
    if duration is None:
        duration = _i(ev, "execution_duration_ms")
    glyph = _STATUS_GLYPH.get(status or "", status or "")
    category = _s(ev, "error_category")
    mutation = _s(ev, "mutation_status")  # legacy persona JSONL
    title = _join(name, glyph, format_duration(duration), category, f"[{mutation}]" if mutation else "")
    if error:
        title = _join(title, "—", _short(error, 60))
    body = error if error else _text_of(ev.get("raw_output"))
    if not body and ev.get("raw_input_partial"):
        body = _text_of(ev.get("raw_input_partial"))
    return _item(
        "tool",
        title,
        body=body,
        is_error=status == "failed" or bool(error),
        status=status,
        duration_ms=duration,
        tool_call_id=_s(ev, "tool_call_id") or None,
    )


def _tool_audit(ev: dict[str, Any], kind: str) -> TimelineItem:
    name = _s(ev, "tool_name") or "tool"
    return _item(
        "tool",
        f"audit {name}",
        body=_text_of(ev.get("audit")),
        tool_call_id=_s(ev, "tool_call_id") or None,
    )


def _plan(ev: dict[str, Any], kind: str) -> TimelineItem:
    plan = ev.get("plan")
    if plan is None and kind != "plan":
        plan = {k: v for k, v in ev.items() if k not in ("type", "session_id")}
    entries = plan.get("entries", plan.get("steps")) if isinstance(plan, dict) else plan
    count = _n(entries) if isinstance(entries, list) else 0
    head = "plan updated" if kind == "plan" else kind.replace("_", " ")
    title = f"{head} ({count} steps)" if count else head
    return _item("plan", title, body=_text_of(plan))


def _turn(ev: dict[str, Any], kind: str) -> TimelineItem:
    word = "iteration" if kind.startswith("iteration") else "turn"
    number = _i(ev, "iteration")
    num = "" if number is None else str(number)
    if kind.endswith("_start"):
        title = _join(word, num)
        body = ""
    elif kind.endswith("_end"):
        title = _join(word, num, "end")
        body = _text_of(ev.get("turn_info", ev.get("iteration_info")))
    else:
        rest = kind.split("_", 1)[1].replace("_", " ") if "_" in kind else kind
        phase = _s(ev, "phase") or _s(ev, "to") or _s(ev, "new_phase")
        title = _join(word, num, rest, f"→ {phase}" if phase else "")
        body = ""
    return _item("turn", title, body=body)


def _loop_control(ev: dict[str, Any], kind: str) -> TimelineItem:
    action = _s(ev, "action") or "decision"
    old, new = _i(ev, "old_limit"), _i(ev, "new_limit")
    limits = f"{old}→{new}" if old is not None or new is not None else ""
    title = _join("loop control", action, limits)
    return _item("turn", title, body=_s(ev, "reason"), status=_s(ev, "status") or None)


def _feedback(ev: dict[str, Any], kind: str) -> TimelineItem:
    fkind = _s(ev, "kind") or "feedback"
    content = _text_of(ev.get("content"))
    tool = _s(ev, "tool_name")
    title = _join("feedback", fkind, f"[{tool}]" if tool else "", "·", _short(content, 60))
    return _item("feedback", title.rstrip(" ·"), body=content)


def _budget(ev: dict[str, Any], kind: str) -> TimelineItem:
    limit = _i(ev, "max_iterations")
    title = "budget exhausted" + (f" (max {limit} iterations)" if limit is not None else "")
    return _item("warning", title, is_error=True)


def _loop_stuck(ev: dict[str, Any], kind: str) -> TimelineItem:
    nudges, last = _i(ev, "max_nudges"), _i(ev, "last_iteration")
    title = "loop stuck"
    if nudges is not None:
        title += f" after {nudges} nudges"
    if last is not None:
        title += f" (iteration {last})"
    return _item("warning", title, body=_text_of(ev.get("tail_excerpt")), is_error=True)


def _watchdog(ev: dict[str, Any], kind: str) -> TimelineItem:
    attempts, elapsed = _i(ev, "attempts"), _i(ev, "elapsed_ms")
    title = _join(
        "daemon watchdog tripped",
        f"after {plural(attempts, 'attempt')}" if isinstance(attempts, int) else (f"after {attempts} attempts" if attempts is not None else ""),
        f"({format_duration(elapsed)})" if elapsed is not None else "",
    )
    return _item("warning", title, is_error=True, duration_ms=elapsed)


def _stall(ev: dict[str, Any], kind: str) -> TimelineItem:
    warning = ev.get("warning")
    summary = ""
    if isinstance(warning, str):
        summary = warning
    elif isinstance(warning, dict):
        summary = _s(warning, "message") or _s(warning, "kind") or _s(warning, "reason")
    title = _join("agent loop stall", "·" if summary else "", _short(summary, 60))
    return _item("warning", title, body=_text_of(warning), is_error=True)


def _skill(ev: dict[str, Any], kind: str) -> TimelineItem:
    name = _s(ev, "skill_name") or "?"
    if kind == "skill_activated":
        return _item("skill", f"skill {name} activated", body=_s(ev, "reason"))
    if kind == "skill_deactivated":
        return _item("skill", f"skill {name} deactivated")
    tools = ev.get("allowed_tools")
    count = _n(tools)
    return _item(
        "skill",
        f"skill {name} scopes {count} tool{'s' if count != 1 else ''}",
        body=_text_of(tools),
    )


def _search(ev: dict[str, Any], kind: str) -> TimelineItem:
    mode = _s(ev, "mode")
    strategy = _s(ev, "strategy")
    if kind == "tool_search_query":
        query = _text_of(ev.get("query"))
        title = _join("tool search", f"({strategy})" if strategy else "", _short(query, 60))
        return _item("search", title, body=query, status=mode or None)
    promoted = ev.get("promoted")
    count = _n(promoted)
    title = f"tool search → {count} promoted"
    return _item("search", title, body=_text_of(promoted), status=mode or None)


def _compaction(ev: dict[str, Any], kind: str) -> TimelineItem:
    if kind != "transcript_compacted":
        return _item("compaction", kind.replace("_", " "), body=pretty_json(ev))
    archived = _i(ev, "archived_messages")
    before, after = _i(ev, "estimated_tokens_before"), _i(ev, "estimated_tokens_after")
    tokens = f"{before if before is not None else '?'}→{after if after is not None else '?'} tokens"
    title = _join(
        "compacted",
        f"{archived} msgs" if archived is not None else "",
        tokens if before is not None or after is not None else "",
        f"({_s(ev, 'strategy') or _s(ev, 'mode')})" if _s(ev, "strategy") or _s(ev, "mode") else "",
    )
    return _item("compaction", title)


def _handoff(ev: dict[str, Any], kind: str) -> TimelineItem:
    if kind == "artifact":
        art = ev.get("artifact") if isinstance(ev.get("artifact"), dict) else ev
        name = _s(art, "kind") or _s(art, "label") or _s(art, "id")
        return _item("handoff", _join("artifact", name), body=_text_of(ev.get("artifact")))
    handoff = ev.get("handoff")
    target = ""
    task = ""
    if isinstance(handoff, dict):
        dest = handoff.get("target_persona_or_human")
        if isinstance(dest, dict):
            target = _s(dest, "label") or _s(dest, "id") or _s(dest, "name") or _s(dest, "kind")
        task = _s(handoff, "task")
    title = _join("handoff", f"→ {target}" if target else "", _short(task, 50) or _s(ev, "artifact_id"))
    return _item("handoff", title, body=_text_of(handoff))


def _fs(ev: dict[str, Any], kind: str) -> TimelineItem:
    events = ev.get("events")
    count = _n(events)
    paths: list[str] = []
    if isinstance(events, list):
        for item in events:
            if isinstance(item, dict):
                for key in ("relative_paths", "paths"):
                    value = item.get(key)
                    if isinstance(value, list):
                        paths.extend(p for p in value if isinstance(p, str))
                        break
    title = _join("fs watch:", f"{count} event{'s' if count != 1 else ''}", _short(", ".join(paths), 50))
    return _item("fs", title, body=_text_of(events))


def _worker(ev: dict[str, Any], kind: str) -> TimelineItem:
    name = _s(ev, "worker_name") or _s(ev, "worker_id") or "worker"
    status = _s(ev, "status") or None
    wevent = _s(ev, "event")
    shown = status or (wevent[6:].lower() if wevent.startswith("Worker") else wevent)
    title = _join("worker", name, shown)
    failed = status == "failed" or wevent == "WorkerFailed"
    return _item(
        "worker",
        title,
        body=_s(ev, "worker_task"),
        status=status,
        is_error=failed,
        is_hitl=status == "awaiting_input" or wevent == "WorkerWaitingForInput",
    )


def _progress(ev: dict[str, Any], kind: str) -> TimelineItem:
    message = _s(ev, "message")
    entries = ev.get("entries")
    title = _join("progress", _short(message, 70) if message else f"({_n(entries)} entries)")
    return _item("progress", title, body=message or _text_of(entries))


def _session(ev: dict[str, Any], kind: str) -> TimelineItem:
    status = _s(ev, "status") or None
    if kind == "session_closed":
        reason = _s(ev, "reason")
        title = _join("session closed", status or "", f"({_short(reason, 50)})" if reason else "")
        return _item("session", title, body=reason, status=status, is_error=status == "failed")
    if kind == "purpose_label":
        label = _s(ev, "label") or _s(ev, "purpose")
        return _item("session", _join("purpose", _short(label, 60)), body=label)
    title = _join(kind.replace("_", " "), status or _s(ev, "health"))
    return _item("session", title, body=pretty_json(ev), status=status)


def _judge(ev: dict[str, Any], kind: str) -> TimelineItem:
    if kind == "judge_decision":
        verdict = _s(ev, "verdict") or "?"
        nxt = _s(ev, "next_step")
        duration = _i(ev, "judge_duration_ms")
        title = _join("judge", verdict, f"→ {_short(nxt, 40)}" if nxt else "", format_duration(duration))
        return _item("judge", title, body=_s(ev, "reasoning"), status=verdict, duration_ms=duration)
    choice = _s(ev, "decision") or _s(ev, "action") or _s(ev, "selected") or _s(ev, "route")
    return _item("judge", _join(kind.replace("_", " "), choice), body=pretty_json(ev))


def _checkpoint(ev: dict[str, Any], kind: str) -> TimelineItem:
    checkpoint = ev.get("checkpoint")
    ckind = _s(checkpoint, "kind") if isinstance(checkpoint, dict) else ""
    return _item("checkpoint", _join("checkpoint", ckind), body=_text_of(checkpoint))


def _hitl(ev: dict[str, Any], kind: str) -> TimelineItem:
    hkind = _s(ev, "kind")
    request = _s(ev, "request_id")
    if kind == "hitl_requested":
        title = _join("HITL requested", hkind, f"({request})" if request else "")
        return _item("hitl", title, body=_text_of(ev.get("payload")), is_hitl=True)
    outcome = _s(ev, "outcome") or None
    title = _join("HITL resolved", hkind, outcome or "")
    return _item("hitl", title, is_hitl=True, status=outcome)


def _cache(ev: dict[str, Any], kind: str) -> TimelineItem:
    word = "hit" if kind == "cache_hit" else "miss"
    title = _join("cache", word, _s(ev, "namespace"), _short(_s(ev, "key"), 50))
    return _item("cache", title, body=_text_of(ev.get("payload")), status=word)


def _user_message(ev: dict[str, Any], kind: str) -> TimelineItem:
    content = _text_of(ev.get("content", ev.get("message", ev.get("text"))))
    return _item("message", _join("user:", _short(content, 70)), body=content)


def _scratchpad(ev: dict[str, Any], kind: str) -> TimelineItem:
    return _item("compaction", "scratchpad reorganized", body=pretty_json(ev))


_DESCRIBERS: dict[str, Describer] = {
    "agent_message_chunk": _chunk,
    "agent_thought_chunk": _chunk,
    "tool_call": _tool_call,
    "tool_call_update": _tool_update,
    "plan": _plan,
    "turn_start": _turn,
    "turn_end": _turn,
    "feedback_injected": _feedback,
    "budget_exhausted": _budget,
    "loop_stuck": _loop_stuck,
    "daemon_watchdog_tripped": _watchdog,
    "skill_activated": _skill,
    "skill_deactivated": _skill,
    "skill_scope_tools": _skill,
    "tool_search_query": _search,
    "tool_search_result": _search,
    "transcript_compacted": _compaction,
    "handoff": _handoff,
    "fs_watch": _fs,
    "worker_update": _worker,
    "progress_reported": _progress,
    "session_closed": _session,
    "judge_decision": _judge,
    "typed_checkpoint": _checkpoint,
    "hitl_requested": _hitl,
    "hitl_resolved": _hitl,
    "loop_control_decision": _loop_control,
    "agent_loop_stall_warning": _stall,
    "tool_call_audit": _tool_audit,
    "cache_hit": _cache,
    "cache_miss": _cache,
    # later versions (0.8.48+ / 0.10.x)
    "iteration_start": _turn,
    "iteration_end": _turn,
    "turn_phase_changed": _turn,
    "session_health": _session,
    "user_message": _user_message,
    "plan_document_updated": _plan,
    "orchestration_decision": _judge,
    "purpose_label": _session,
    "compass_routing_decision": _judge,
    "agent_scratchpad_reorganization": _scratchpad,
    "artifact": _handoff,
}

_DESCRIBERS.update(agent_events.DESCRIBERS)  # the variants later Harn adds (0.8.x-0.10.x)

#: Every AgentEvent type with a dedicated description.
KNOWN_TYPES = frozenset(_DESCRIBERS)


def describe(event: SessionEvent) -> TimelineItem:
    """A timeline item for one stored event; never raises."""
    try:
        return _describe(event)
    except Exception as exc:  # defensive: odd field shapes must not break the view
        kind = event_type(event) if isinstance(event, SessionEvent) else ""
        raw = getattr(event, "event", event)
        return _item(
            "other",
            kind or "event",
            body=f"(could not describe: {type(exc).__name__})\n{pretty_json(raw)}",
            type=kind,
            known=False,
        )


def _describe(event: SessionEvent) -> TimelineItem:
    kind = event_type(event)
    raw = event.event
    if not isinstance(raw, dict):
        title = f"{kind or 'event'} (malformed: {type(raw).__name__})"
        return _item("other", title, body=pretty_json(raw), type=kind, known=False)
    describer = _DESCRIBERS.get(kind)
    if describer is None:
        if kind.startswith(("turn_", "iteration_")):
            describer = _turn
        else:
            return _item("other", kind or "(no type)", body=pretty_json(raw), type=kind, known=False)
    item = describer(raw, kind)
    item.type = kind
    return item


# -- pairing and coalescing --------------------------------------------------------


def _raw(event: SessionEvent) -> dict[str, Any]:
    raw = event.event
    return raw if isinstance(raw, dict) else {}


def pair_tool_calls(events: Sequence[SessionEvent]) -> dict[str, tuple[int | None, int | None]]:
    """tool_call_id → (index of its `tool_call`, index of its last `tool_call_update`)."""
    pairs: dict[str, tuple[int | None, int | None]] = {}
    for index, event in enumerate(events):
        kind = event_type(event)
        if kind not in ("tool_call", "tool_call_update"):
            continue
        call_id = _s(_raw(event), "tool_call_id")
        if not call_id:
            continue
        call, update = pairs.get(call_id, (None, None))
        if kind == "tool_call":
            if call is None:
                call = index
        else:
            update = index
        pairs[call_id] = (call, update)
    return pairs


def _session_of(event: SessionEvent) -> Any:
    value = _raw(event).get("session_id")
    return value if isinstance(value, str) else None


def coalesce_chunks(events: Sequence[SessionEvent]) -> list[list[int]]:
    """Group event indexes: consecutive same-type chunks of one session form one group."""
    groups: list[list[int]] = []
    last_key: tuple[str, Any] | None = None
    for index, event in enumerate(events):
        kind = event_type(event)
        if kind in CHUNK_TYPES and isinstance(event.event, dict):
            key = (kind, _session_of(event))
            if key == last_key and groups:
                groups[-1].append(index)
                continue
            last_key = key
        else:
            last_key = None
        groups.append([index])
    return groups


def _chunk_item(events: Sequence[SessionEvent], group: list[int]) -> TimelineItem:
    kind = event_type(events[group[0]])
    parts = []
    for i in group:
        content = _raw(events[i]).get("content")
        parts.append(content if isinstance(content, str) else _text_of(content))
    text = "".join(parts)
    item = _chunk({"content": text}, kind)
    item.type = kind
    return item


def _occurred(event: SessionEvent) -> int | None:
    value = json_int(event.occurred_at_ms)
    return value if value is not None else json_int(_raw(event).get("emitted_at_ms"))


def build_timeline(events: Sequence[SessionEvent]) -> list[TimelineRow]:
    """Rows for a session: chunks coalesced, tool calls paired, offsets from the first event."""
    rows: list[TimelineRow] = []
    row_of_event: dict[int, int] = {}
    start: int | None = None
    for group in coalesce_chunks(events):
        first = events[group[0]]
        if len(group) > 1 or event_type(first) in CHUNK_TYPES:
            item = _chunk_item(events, group)
        else:
            item = describe(first)
        occurred = _occurred(first)
        if start is None and occurred is not None:
            start = occurred
        offset = occurred - start if occurred is not None and start is not None else None
        key = first.event_id if isinstance(first.event_id, int | str) else group[0]
        for i in group:
            row_of_event[i] = len(rows)
        rows.append(TimelineRow(item, list(group), occurred, offset, key=key))
    for call, update in pair_tool_calls(events).values():
        if call is not None and update is not None:
            a, b = row_of_event[call], row_of_event[update]
            rows[a].pair, rows[b].pair = b, a
            done, call_item = rows[b].item, rows[a].item
            call_item.status = done.status or call_item.status
            call_item.duration_ms = done.duration_ms
            raw = _raw(events[call])
            name = _s(raw, "tool_name") or "tool"
            tool_kind = _s(raw, "kind")
            glyph = _STATUS_GLYPH.get(call_item.status or "", call_item.status or "")
            call_item.title = _join(
                name, f"({tool_kind})" if tool_kind else "", glyph, format_duration(done.duration_ms)
            )
    return rows
