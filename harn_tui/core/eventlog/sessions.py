"""Agent-session replay events from the event log or the legacy JSONL sink (spec §5.1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.eventlog.protocol import (
    AGENT_EVENTS_PREFIX,
    EventLog,
    LogEvent,
    agent_events_topic,
)
from harn_tui.core.format.errors import EventLogError
from harn_tui.core.format.schema import json_int

__all__ = [
    "SessionEvent",
    "load_legacy_session_jsonl",
    "load_session_events",
    "session_ids_in_log",
    "sessions_for_run",
]

_AUDITED_TYPES = frozenset({"tool_call", "tool_call_update", "worker_update", "tool_call_audit"})
_ROTATED = re.compile(r"-(\d{6})\.jsonl$")


@dataclass(slots=True)
class SessionEvent:
    """One AgentEvent of a session; ``event`` is kept as stored, even if malformed."""

    event_id: int
    occurred_at_ms: int | None
    event: Any
    kind: str


def _event_kind(event: Any, fallback: str) -> str:
    if isinstance(event, dict) and isinstance(event.get("type"), str) and event["type"]:
        return event["type"]
    return fallback


def _session_event(record: LogEvent, session_id: str) -> SessionEvent | None:
    """The SessionEvent carried by ``record`` if it belongs to ``session_id``."""
    if record.headers.get("session_id") != session_id:
        return None
    payload = record.payload
    if not isinstance(payload, dict) or payload.get("event") is None:
        return None
    event = payload["event"]
    if isinstance(event, dict) and "session_id" in event and event["session_id"] != session_id:
        return None
    occurred: int | None = record.occurred_at_ms or None
    if occurred is None:
        occurred = json_int(payload.get("index_hint"))
    return SessionEvent(record.event_id, occurred, event, _event_kind(event, record.kind))


def load_session_events(
    log: EventLog, session_id: str, after: int = 0, limit: int | None = None
) -> list[SessionEvent]:
    """Events of ``session_id`` from its ``observability.agent_events.*`` topic, ascending.

    Records of other sessions whose ids sanitize to the same topic are skipped. With
    ``limit``, at most that many rows are read (see :func:`read_session_events`).
    """
    return read_session_events(log, session_id, after, limit)[0]


def read_session_events(
    log: EventLog, session_id: str, after: int = 0, limit: int | None = None
) -> tuple[list[SessionEvent], int, int]:
    """(events, rows read, id of the last row read): `load_session_events` with its cursor."""
    out: list[SessionEvent] = []
    count, last = 0, after
    for record in log.iter_topic(agent_events_topic(session_id), after=after):
        count += 1
        last = record.event_id
        item = _session_event(record, session_id)
        if item is not None:
            out.append(item)
        if limit is not None and count >= limit:
            break
    return out, count, last


def _legacy_parts(path: Path) -> list[Path]:
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.stem
    rotated: list[tuple[int, Path]] = []
    if path.parent.is_dir():
        for candidate in path.parent.iterdir():
            name = candidate.name
            match = _ROTATED.search(name)
            if match and name[: match.start()] == stem:
                rotated.append((int(match.group(1)), candidate))
    parts = [path] if path.is_file() else []
    parts.extend(p for _, p in sorted(rotated))
    return parts


def load_legacy_session_jsonl(path: Path | str) -> list[SessionEvent]:
    """Read ``event_log-<session>.jsonl`` plus its rotated ``-000001`` parts, in order.

    Each line is the AgentEvent flattened with ``index``, ``emitted_at_ms`` and
    ``frame_depth``; event_id = index + 1. An unterminated last line is dropped,
    unparseable lines are skipped.
    """
    base = Path(path)
    parts = _legacy_parts(base)
    if not parts:
        raise EventLogError(f"agent event log not found: {base}")
    out: list[SessionEvent] = []
    counter = 0
    for part in parts:
        try:
            fh = part.open("rb")
        except OSError as exc:
            raise EventLogError(f"cannot read {part}: {exc}") from exc
        with fh:
            lines = _complete_lines(fh)
            out.extend(_legacy_events(lines, counter))
        if out:
            counter = out[-1].event_id
    return out


def _complete_lines(fh: Any) -> Iterable[bytes]:
    """Newline-terminated lines of ``fh``; a half-written last line is dropped."""
    for line in fh:
        if line.endswith(b"\n"):
            yield line


def _legacy_events(lines: Iterable[bytes], counter: int) -> list[SessionEvent]:
    out: list[SessionEvent] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(event, dict):
            continue
        index = json_int(event.get("index"))
        event_id = index + 1 if index is not None else counter + 1
        counter = event_id
        occurred = json_int(event.get("emitted_at_ms"))
        out.append(SessionEvent(event_id, occurred, event, _event_kind(event, "")))
    return out


def _record_session_id(record: LogEvent, topic: str) -> str:
    sid = record.headers.get("session_id")
    if sid:
        return sid
    payload = record.payload if isinstance(record.payload, dict) else {}
    if isinstance(payload.get("session_id"), str) and payload["session_id"]:
        return payload["session_id"]
    return topic[len(AGENT_EVENTS_PREFIX) :]


def _agent_topics(log: EventLog) -> list[str]:
    return [t for t in log.topics() if t.startswith(AGENT_EVENTS_PREFIX)]


def session_ids_in_log(log: EventLog) -> list[str]:
    """Session ids with agent-event topics (from the first record's header), sorted."""
    found: set[str] = set()
    for topic in _agent_topics(log):
        first = log.read(topic, after=0, limit=1)
        suffix = topic[len(AGENT_EVENTS_PREFIX) :]
        found.add(_record_session_id(first[0], topic) if first else suffix)
    return sorted(found)


def _audit_run_id(record: LogEvent) -> str | None:
    payload = record.payload
    if not isinstance(payload, dict):
        return None
    event = payload.get("event")
    if not isinstance(event, dict):
        return None
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in _AUDITED_TYPES:  # a list/dict is unhashable
        return None
    audit = event.get("audit")
    if not isinstance(audit, dict):
        return None
    run_id = audit.get("run_id")
    return run_id if isinstance(run_id, str) else None


def sessions_for_run(
    log: EventLog, run_id: str, candidate_session_ids: Iterable[str]
) -> dict[str, list[SessionEvent]]:
    """Sessions related to ``run_id``, ordered by session id.

    The caller's candidates (child-run session ids, transcript ids) that have
    events, plus every session with a tool_call / tool_call_update /
    worker_update / tool_call_audit event whose ``audit.run_id`` is ``run_id``.
    """
    tracker = RunSessionsTracker(run_id, candidate_session_ids)
    tracker.poll(log)
    return tracker.result()


class RunSessionsTracker:
    """`sessions_for_run`, kept up to date incrementally.

    Each poll reads only rows appended since the previous one: per agent topic for
    the audit scan, per session for the events themselves.
    """

    def __init__(self, run_id: str, candidate_session_ids: Iterable[str] = ()) -> None:
        self.run_id = run_id
        self.wanted: set[str] = {sid for sid in candidate_session_ids if sid}
        self.audit_cursor: dict[str, int] = {}
        self.cursor: dict[str, int] = {}
        self.events: dict[str, list[SessionEvent]] = {}
        self.more = False  # the last limited poll left rows unread

    def add_candidates(self, session_ids: Iterable[str]) -> None:
        self.wanted.update(sid for sid in session_ids if sid)

    def poll(self, log: EventLog, limit: int | None = None) -> bool:
        """Read what is new; True when any session gained events.

        With `limit`, each session reads at most that many new rows and `more` tells
        whether some session has rows left (a 1M-row topic shows its first page first).
        A wanted session whose topic the audit scan is reading anyway takes its events
        from that same scan, so no row is read twice.
        """
        changed = False
        self.more = False
        done: set[str] = set()
        if self.run_id:
            for topic in _agent_topics(log):
                after = self.audit_cursor.get(topic, 0)
                riders = [
                    sid
                    for sid in sorted(self.wanted)
                    if agent_events_topic(sid) == topic and self.cursor.get(sid, 0) == after
                ]
                found: dict[str, list[SessionEvent]] = {sid: [] for sid in riders}
                for count, record in enumerate(log.iter_topic(topic, after=after)):
                    if limit is not None and count >= limit:
                        self.more = True
                        break
                    after = record.event_id
                    if _audit_run_id(record) == self.run_id:
                        self.wanted.add(_record_session_id(record, topic))
                    for sid in riders:
                        item = _session_event(record, sid)
                        if item is not None:
                            found[sid].append(item)
                self.audit_cursor[topic] = after
                for sid, new in found.items():
                    self.cursor[sid] = after
                    done.add(sid)
                    if new:
                        self.events.setdefault(sid, []).extend(new)
                        changed = True
        for sid in sorted(self.wanted - done):
            after = self.cursor.get(sid, 0)
            new, count, last = read_session_events(log, sid, after, limit)
            if limit is not None and count >= limit:
                self.more = True
            if new:
                self.events.setdefault(sid, []).extend(new)
                changed = True
            if last > after:
                self.cursor[sid] = last
        return changed

    def result(self) -> dict[str, list[SessionEvent]]:
        """Sessions with events, ordered by session id."""
        return {sid: list(self.events[sid]) for sid in sorted(self.events) if self.events[sid]}


def legacy_session_dirs(env: dict[str, str] | None = None, log: EventLog | None = None) -> list[Path]:
    """Where Harn's legacy JSONL sink may have written sessions (spec §5.1).

    `$HARN_EVENT_LOG_DIR` (used when no event log was active), and the file backend's
    own folder when that is the log being read.
    """
    import os

    env = os.environ if env is None else env
    dirs: list[Path] = []
    value = (env.get("HARN_EVENT_LOG_DIR") or "").strip()
    if value:
        from harn_tui.core.format.locations import absolute_path

        dirs.append(absolute_path(value))
    if log is not None and getattr(log, "backend", "") == "file":
        dirs.append(Path(log.location))
    return [d for i, d in enumerate(dirs) if d not in dirs[:i]]


def legacy_sessions(dirs: Iterable[Path], session_ids: Iterable[str]) -> dict[str, list[SessionEvent]]:
    """Sessions found as `event_log-<session id>.jsonl` files (rotated parts included)."""
    from harn_tui.core.format.errors import HarnTuiError

    found: dict[str, list[SessionEvent]] = {}
    for sid in session_ids:
        if not sid or "/" in sid or sid in found:
            continue
        for folder in dirs:
            path = Path(folder) / f"event_log-{sid}.jsonl"
            if not path.exists() and not any(Path(folder).glob(f"event_log-{sid}-[0-9]*.jsonl")):
                continue
            try:
                events = load_legacy_session_jsonl(path)
            except HarnTuiError:
                continue
            if events:
                found[sid] = events
                break
    return found
