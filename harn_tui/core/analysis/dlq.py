"""Trigger dead letters (Harn portal `dlq.rs`), read-only, from the event log.

`load_dlq` reads topic `trigger.dlq` (events `dlq_moved` / `dlq_entry`; the last event
per entry id wins), normalizes both writers' shapes — the stdlib's (`id`, `event_id`,
`retry_history`) and the dispatcher's (`event`, `final_error`, `attempts`) — and attaches
each entry's predicate trace from `triggers.lifecycle` (`predicate.*` events by
`event_id`). `group_by_error_class` counts entries per class with the newest failure.
The portal's replay and purge actions are left out: harn-tui never writes the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from harn_tui.core.format.derive import dicts, obj
from harn_tui.core.format.schema import json_int, json_str
from harn_tui.core.format.timestamps import parse_ms

if TYPE_CHECKING:
    from harn_tui.core.eventlog.protocol import EventLog, LogEvent

DLQ_TOPIC = "trigger.dlq"
LIFECYCLE_TOPIC = "triggers.lifecycle"


@dataclass(slots=True)
class DlqAttempt:
    attempt: int
    at: str
    status: str
    error: str | None


@dataclass(slots=True)
class DlqEntry:
    id: str
    event_id: str
    trigger_id: str
    binding_id: str
    binding_key: str
    binding_version: int | None
    provider: str
    event_kind: str
    failed_at: str
    failed_at_ms: int
    last_error: str
    error_class: str
    retry_count: int
    state: str
    headers: dict[str, str]
    payload: Any
    event: Any
    attempt_history: list[DlqAttempt] = field(default_factory=list)
    predicate_trace: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class DlqGroup:
    error_class: str
    count: int
    newest_failed_at: str | None


def classify_error(error: str) -> str:
    """Harn's `classify_trigger_dlq_error`: budget, timeout, auth, provider 5xx, panics."""
    e = error.lower()

    def has(*words: str) -> bool:
        return any(w in e for w in words)

    panic = ("panic", "crash", "thrown", "exception", "vmerror::thrown")
    if "budget" in e and has("exhaust", "exceeded", "limit", "short-circuit"):
        return "budget_exhausted"
    if has("timeout", "timed out", "deadline", "wall-clock", "wall clock"):
        return "handler_timeout"
    if has("401", "403", "unauthorized", "forbidden", "auth failed", "authentication", "permission denied"):
        return "auth_failed"
    if "provider" in e and has("5xx", "500", "502", "503", "504", "upstream", "service unavailable"):
        return "provider_5xx"
    if "predicate" in e and has(*panic):
        return "predicate_panic"
    if "handler" in e and has(*panic):
        return "handler_panic"
    if has("vmerror::thrown", "handler threw"):
        return "handler_panic"
    return "unknown"


def _s(value: Any, key: str) -> str | None:
    return json_str(obj(value).get(key))


def _u(value: Any, key: str) -> int | None:
    v = json_int(obj(value).get(key))
    return v if v is not None and 0 <= v < 2**32 else None


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _headers(event: Any) -> dict[str, str]:
    return {k: v for k, v in obj(obj(event).get("headers")).items() if isinstance(v, str)}


def _sanitize(value: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in value)


def _ms(text: str, fallback: int) -> int:
    parsed = parse_ms(text)
    return parsed if parsed is not None else fallback


def normalize(event: LogEvent) -> DlqEntry | None:
    """One DLQ log event as an entry (None when it names no event)."""
    payload = event.payload
    if isinstance(_s(payload, "id"), str) and "event_id" in obj(payload):
        return _stdlib(event)
    return _dispatcher(event)


def _stdlib(event: LogEvent) -> DlqEntry | None:
    p = obj(event.payload)
    entry_id, event_id = _s(p, "id"), _s(p, "event_id")
    if entry_id is None or event_id is None:
        return None
    binding_id = _s(p, "binding_id") or "-"
    version = _u(p, "binding_version")
    ev = p.get("event")
    last_error = _s(p, "error") or "unknown error"
    history = [
        DlqAttempt(a, _s(item, "at") or _time(event.occurred_at_ms), _s(item, "status") or "dlq", _s(item, "error"))
        for item in dicts(p.get("retry_history"))
        if (a := _u(item, "attempt")) is not None
    ]
    failed_at = history[-1].at if history else _time(event.occurred_at_ms)
    return DlqEntry(
        id=entry_id, event_id=event_id, trigger_id=binding_id, binding_id=binding_id,
        binding_key=f"{binding_id}@v{version}" if version is not None else binding_id, binding_version=version,
        provider=_s(p, "provider") or _s(ev, "provider") or "-",
        event_kind=_s(p, "kind") or _s(ev, "kind") or "-",
        failed_at=failed_at, failed_at_ms=_ms(failed_at, event.occurred_at_ms), last_error=last_error,
        error_class=_s(p, "error_class") or classify_error(last_error), retry_count=len(history),
        state=_s(p, "state") or "pending", headers=_headers(ev),
        payload=obj(ev).get("provider_payload", ev) if isinstance(ev, dict) else ev, event=ev,
        attempt_history=history,
    )


def _dispatcher(event: LogEvent) -> DlqEntry | None:
    p = obj(event.payload)
    ev = p.get("event")
    event_id = _s(ev, "id") or _s(p, "event_id")
    if event_id is None:
        return None
    trigger_id = _s(p, "trigger_id") or "-"
    binding_key = _s(p, "binding_key") or trigger_id
    if "@v" in binding_key:
        binding_id, _, tail = binding_key.partition("@v")
        version = int(tail) if tail.isdigit() and int(tail) < 2**32 else None
    else:
        binding_id, version = trigger_id, None
    last_error = _s(p, "final_error") or "unknown error"
    history = [
        DlqAttempt(_u(item, "attempt") or 0,
                   _s(item, "completed_at") or _s(item, "started_at") or _time(event.occurred_at_ms),
                   _s(item, "outcome") or "failed", _s(item, "error_msg"))
        for item in dicts(p.get("attempts"))
    ]
    failed_at = history[-1].at if history else _time(event.occurred_at_ms)
    count = _u(p, "attempt_count")
    return DlqEntry(
        id=f"dlq_{_sanitize(binding_key)}_{_sanitize(event_id)}", event_id=event_id, trigger_id=trigger_id,
        binding_id=binding_id, binding_key=binding_key, binding_version=version,
        provider=_s(ev, "provider") or "-", event_kind=_s(ev, "kind") or "-",
        failed_at=failed_at, failed_at_ms=_ms(failed_at, event.occurred_at_ms), last_error=last_error,
        error_class=_s(p, "error_class") or classify_error(last_error),
        retry_count=count if count is not None else len(history), state="pending", headers=_headers(ev),
        payload=obj(ev).get("provider_payload", ev) if isinstance(ev, dict) else ev, event=ev,
        attempt_history=history,
    )


def load_dlq(log: EventLog) -> list[DlqEntry]:
    """Every dead letter, newest failure first, with its predicate trace."""
    latest: dict[str, DlqEntry] = {}
    if DLQ_TOPIC not in log.topics():
        return []
    for event in log.iter_topic(DLQ_TOPIC):
        if event.kind not in ("dlq_moved", "dlq_entry"):
            continue
        entry = normalize(event)
        if entry is not None:
            latest[entry.id] = entry
    entries = sorted(latest.values(), key=lambda e: (-e.failed_at_ms, e.id))
    if entries and LIFECYCLE_TOPIC in log.topics():
        traces: dict[str, list[dict[str, Any]]] = {}
        for event in log.iter_topic(LIFECYCLE_TOPIC):
            if not event.kind.startswith("predicate."):
                continue
            eid = event.headers.get("event_id") or _s(event.payload, "event_id")
            if eid is None:
                continue
            traces.setdefault(eid, []).append({
                "kind": event.kind, "occurred_at": _time(event.occurred_at_ms),
                "headers": dict(event.headers), "payload": event.payload,
            })
        for entry in entries:
            entry.predicate_trace = traces.pop(entry.event_id, [])
    return entries


def group_by_error_class(entries: list[DlqEntry]) -> list[DlqGroup]:
    """One group per error class (sorted by class), with its count and newest failure."""
    groups: dict[str, DlqGroup] = {}
    newest: dict[str, int] = {}
    for entry in entries:
        group = groups.setdefault(entry.error_class, DlqGroup(entry.error_class, 0, None))
        group.count += 1
        if entry.error_class not in newest or entry.failed_at_ms > newest[entry.error_class]:
            newest[entry.error_class] = entry.failed_at_ms
            group.newest_failed_at = entry.failed_at
    return [groups[k] for k in sorted(groups)]
