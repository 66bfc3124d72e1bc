"""The event-log protocol every backend offers, its record type, topic names (spec §4)
and the row decoding the backends share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from harn_tui.core.format.schema import to_int

__all__ = [
    "AGENT_EVENTS_PREFIX",
    "EventLog",
    "LogEvent",
    "agent_events_topic",
    "as_int",
    "as_kind",
    "iter_pages",
    "make_event",
    "sanitize_topic_component",
]

AGENT_EVENTS_PREFIX = "observability.agent_events."
_TOPIC_EXTRA = frozenset("._-")


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One event-log record. ``raw_error`` says why payload/headers could not be decoded."""

    topic: str
    event_id: int
    kind: str
    payload: Any
    headers: dict[str, str]
    occurred_at_ms: int
    raw_error: str | None = None


def sanitize_topic_component(s: str) -> str:
    """Replace every char that is not ASCII alphanumeric, ``.``, ``_`` or ``-`` with ``_``."""
    return "".join(ch if (ch.isascii() and ch.isalnum()) or ch in _TOPIC_EXTRA else "_" for ch in s)


def agent_events_topic(session_id: str) -> str:
    """The topic holding an agent session's events."""
    return AGENT_EVENTS_PREFIX + sanitize_topic_component(session_id)


class EventLog(Protocol):
    """What every event-log reader offers."""

    backend: str
    location: Path

    def topics(self) -> list[str]: ...

    def read(self, topic: str, after: int = 0, limit: int = 1024) -> list[LogEvent]: ...

    def iter_topic(self, topic: str, after: int = 0, page: int = 1024) -> Iterator[LogEvent]: ...

    def last_event_id(self, topic: str) -> int: ...

    def watch_paths(self) -> list[Path]: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- decoding


def _json_text(raw: Any) -> str:
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return bytes(raw).decode("utf-8", errors="replace")
    return str(raw)


def _decode_payload(raw: Any) -> tuple[Any, str | None]:
    """Decode a payload column value; on failure return the text and a reason."""
    if raw is None or isinstance(raw, (int, float)):
        return raw, None
    if isinstance(raw, (bytes, bytearray, memoryview, str)):
        try:
            return orjson.loads(raw), None
        except orjson.JSONDecodeError as exc:
            return _json_text(raw), f"payload is not valid JSON: {exc}"
    return raw, None


def _header_map(value: Any) -> tuple[dict[str, str], str | None]:
    if not isinstance(value, dict):
        return {}, "headers is not a JSON object"
    out: dict[str, str] = {}
    for key, item in value.items():
        out[str(key)] = item if isinstance(item, str) else orjson.dumps(item).decode()
    return out, None


#: Decoded headers by their stored text: a topic's rows nearly always repeat the same
#: headers (`{"session_id": ...}`), and decoding them was a third of a topic's read time.
_HEADER_MEMO: dict[Any, tuple[dict[str, str], str | None]] = {}
_HEADER_MEMO_MAX = 512


def _decode_headers(raw: Any) -> tuple[dict[str, str], str | None]:
    """Headers as a str->str map (shared between rows with the same text: do not mutate)."""
    if isinstance(raw, str | bytes):
        hit = _HEADER_MEMO.get(raw)
        if hit is None:
            if len(_HEADER_MEMO) >= _HEADER_MEMO_MAX:
                _HEADER_MEMO.clear()
            hit = _HEADER_MEMO[raw] = _decode_headers_uncached(raw)
        return hit
    return _decode_headers_uncached(raw)


def _decode_headers_uncached(raw: Any) -> tuple[dict[str, str], str | None]:
    if raw is None:
        return {}, None
    if isinstance(raw, dict):
        return _header_map(raw)
    if isinstance(raw, (bytes, bytearray, memoryview, str)):
        if not _json_text(raw).strip():
            return {}, None
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return {}, f"headers are not valid JSON: {exc}"
        return _header_map(value)
    return {}, "headers is not a JSON object"


def as_int(value: Any, default: int = 0) -> int:
    """A stored number as an int (``default`` for non-numbers and non-finite floats); a BLOB
    column is read as its text."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    return to_int(value, default)


def as_kind(value: Any) -> str:
    """A stored text column as str (bytes decoded, None as "")."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def make_event(
    topic: str,
    event_id: Any,
    kind: Any,
    payload: Any,
    headers: Any,
    occurred_at_ms: Any,
    *,
    payload_decoded: bool = False,
) -> LogEvent:
    """One row as a LogEvent; decoding problems go to ``raw_error``, never raise."""
    errors: list[str] = []
    if payload_decoded:
        value = payload
    else:
        value, err = _decode_payload(payload)
        if err:
            errors.append(err)
    header_map, err = _decode_headers(headers)
    if err:
        errors.append(err)
    return LogEvent(
        topic=topic,
        event_id=as_int(event_id),
        kind=as_kind(kind),
        payload=value,
        headers=header_map,
        occurred_at_ms=as_int(occurred_at_ms),
        raw_error="; ".join(errors) or None,
    )


def iter_pages(log: EventLog, topic: str, after: int, page: int) -> Iterator[LogEvent]:
    """Every row of ``topic`` after ``after``, read ``page`` rows at a time."""
    cursor = after
    while True:
        rows = log.read(topic, after=cursor, limit=page)
        if not rows:
            return
        yield from rows
        if rows[-1].event_id <= cursor:
            return  # no progress (corrupt ids): stop rather than loop forever
        cursor = rows[-1].event_id
        if len(rows) < page:
            return
