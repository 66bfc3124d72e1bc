"""Read-only readers for Harn's event log: the SQLite and file backends (spec §4).

Nothing here ever writes to the log. SQLite is opened with ``mode=ro`` (never
``immutable=1``), so committed WAL rows of a live writer are visible. If the
read-only open is impossible (e.g. no write access to create ``-shm``), the
database files are copied to a temp dir and the copy is read; the copy is
refreshed whenever the source files change.
"""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import tempfile
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import orjson

from harn_tui.core.format.errors import EventLogError
from harn_tui.core.format.locations import event_log_location, resolve_events_arg

__all__ = [
    "AGENT_EVENTS_PREFIX",
    "EventLog",
    "FileEventLog",
    "LogEvent",
    "SqliteEventLog",
    "agent_events_topic",
    "open_default_event_log",
    "open_event_log",
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


def _as_int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else default
    if isinstance(value, (str, bytes)):
        try:
            number = float(value)
        except ValueError:
            return default
        return int(number) if math.isfinite(number) else default
    return default


def _as_kind(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _make_event(
    topic: str,
    event_id: Any,
    kind: Any,
    payload: Any,
    headers: Any,
    occurred_at_ms: Any,
    *,
    payload_decoded: bool = False,
) -> LogEvent:
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
        event_id=_as_int(event_id),
        kind=_as_kind(kind),
        payload=value,
        headers=header_map,
        occurred_at_ms=_as_int(occurred_at_ms),
        raw_error="; ".join(errors) or None,
    )


def _iter_pages(log: EventLog, topic: str, after: int, page: int) -> Iterator[LogEvent]:
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


# --------------------------------------------------------------------------- sqlite

_INABILITY_MARKERS = (
    "unable to open",
    "cannot open",
    "readonly",
    "read-only",
    "disk i/o error",
    "wal",
)


def _connect(uri: str, timeout: float) -> sqlite3.Connection:
    """Open an sqlite connection (a seam tests can patch)."""
    return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)


def _is_locked(exc: BaseException) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _is_inability(exc: BaseException) -> bool:
    message = str(exc).lower()
    return any(marker in message for marker in _INABILITY_MARKERS)


class SqliteEventLog:
    """Read-only reader of ``events.sqlite``.

    Threading: one connection opened with ``check_same_thread=False``; every
    use of it is serialized by ``self._lock``, so any thread may call any method.
    """

    backend = "sqlite"

    def __init__(self, path: Path | str, *, busy_timeout: float = 2.0) -> None:
        self.location = Path(path)
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._copy_dir: Path | None = None
        self._copy_sig: tuple[tuple[int, int], ...] | None = None
        self._has_events = False
        self._copy_for_missing_wal = False
        if not self.location.is_file():
            raise EventLogError(f"event log not found: {self.location}")
        with self._lock:
            if self._wal_mode_without_wal():
                # Opening in place would create an empty `-wal` beside the log: read a copy
                # until a writer (which creates the -wal itself) is active.
                self._open_copy()
                self._copy_for_missing_wal = True
                return
            try:
                self._open_direct()
            except sqlite3.OperationalError as exc:
                if _is_locked(exc):
                    raise EventLogError("event log is locked") from exc
                if not _is_inability(exc):
                    raise EventLogError(f"cannot open event log: {exc}") from exc
                self._open_copy()
            except sqlite3.DatabaseError as exc:
                raise EventLogError(f"not an SQLite event log: {exc}") from exc

    # -- connection management

    @property
    def copied(self) -> bool:
        """True when reading a temp copy because direct read-only access failed."""
        return self._copy_dir is not None

    def _sidecars(self) -> list[Path]:
        return [self.location, Path(f"{self.location}-wal"), Path(f"{self.location}-shm")]

    def _probe(self, conn: sqlite3.Connection) -> None:
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()

    def _open_direct(self) -> None:
        uri = f"file:{quote(str(self.location.absolute()))}?mode=ro"
        conn = _connect(uri, self._busy_timeout)
        try:
            self._probe(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _source_sig(self) -> tuple[tuple[int, int], ...]:
        sig = []
        for p in self._sidecars():
            try:
                st = p.stat()
            except OSError:
                sig.append((-1, -1))
            else:
                sig.append((st.st_size, st.st_mtime_ns))
        return tuple(sig)

    def _open_copy(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._copy_dir is None:
            self._copy_dir = Path(tempfile.mkdtemp(prefix="harn-tui-events-"))
        for stale in self._copy_dir.iterdir():
            stale.unlink()
        sig = self._source_sig()
        try:
            for src in self._sidecars():
                if src.exists():
                    shutil.copyfile(src, self._copy_dir / src.name)
            copy = self._copy_dir / self.location.name
            uri = f"file:{quote(str(copy))}?mode=ro"
            conn = _connect(uri, self._busy_timeout)
            try:
                self._probe(conn)
            except BaseException:
                conn.close()
                raise
        except (OSError, sqlite3.Error) as exc:
            raise EventLogError(f"cannot read event log (copy fallback failed): {exc}") from exc
        self._conn = conn
        self._copy_sig = sig

    def _wal_mode_without_wal(self) -> bool:
        """True for a WAL-mode database whose `-wal` file does not exist (no writer active)."""
        if Path(f"{self.location}-wal").exists():
            return False
        try:
            with open(self.location, "rb") as handle:
                header = handle.read(20)
        except OSError:
            return False
        return len(header) == 20 and header.startswith(b"SQLite format 3\x00") and header[18] == 2

    def _refresh_copy(self) -> None:
        if self._copy_dir is None:
            return
        if self._copy_for_missing_wal and Path(f"{self.location}-wal").exists():
            old = self._conn
            try:
                self._open_direct()
            except sqlite3.Error:
                pass
            else:
                if old is not None:
                    old.close()
                shutil.rmtree(self._copy_dir, ignore_errors=True)
                self._copy_dir = None
                self._copy_for_missing_wal = False
                return
        if self._source_sig() != self._copy_sig:
            self._open_copy()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._conn is None and self._copy_dir is None:
                raise EventLogError("event log is closed")
            for attempt in (0, 1):
                self._refresh_copy()
                assert self._conn is not None
                try:
                    return self._conn.execute(sql, params).fetchall()
                except sqlite3.OperationalError as exc:
                    if _is_locked(exc):
                        raise EventLogError("event log is locked") from exc
                    if "no such table" in str(exc).lower():
                        self._has_events = False
                        return []
                    if attempt == 0 and self._copy_dir is None and _is_inability(exc):
                        self._open_copy()
                        continue
                    raise EventLogError(f"cannot read event log: {exc}") from exc
                except sqlite3.DatabaseError as exc:
                    raise EventLogError(f"cannot read event log: {exc}") from exc
        raise EventLogError("cannot read event log")  # pragma: no cover

    def _events_table(self) -> bool:
        if not self._has_events:
            rows = self._query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
            )
            self._has_events = bool(rows)
        return self._has_events

    # -- EventLog API

    def topics(self) -> list[str]:
        """Distinct topics that have rows, sorted."""
        if not self._events_table():
            return []
        rows = self._query("SELECT DISTINCT topic FROM events ORDER BY topic ASC")
        return sorted({_as_kind(row[0]) for row in rows if row[0] is not None})

    def read(self, topic: str, after: int = 0, limit: int = 1024) -> list[LogEvent]:
        """Rows of ``topic`` with ``event_id > after``, ascending, at most ``limit``."""
        if limit <= 0 or not self._events_table():
            return []
        rows = self._query(
            # Rows whose id is not an integer (a corrupt or foreign writer) cannot be paged
            # by id; they are skipped so a cursor can never go backwards and loop.
            "SELECT event_id, kind, payload, headers, occurred_at_ms FROM events "
            "WHERE topic = ? AND event_id > ? AND typeof(event_id) = 'integer' "
            "ORDER BY event_id ASC LIMIT ?",
            (topic, after, limit),
        )
        return [_make_event(topic, *row) for row in rows]

    def iter_topic(self, topic: str, after: int = 0, page: int = 1024) -> Iterator[LogEvent]:
        """All rows after ``after``, fetched ``page`` rows at a time."""
        return _iter_pages(self, topic, after, page)

    def last_event_id(self, topic: str) -> int:
        """Highest stored event id of ``topic`` (0 when empty)."""
        if not self._events_table():
            return 0
        rows = self._query(
            "SELECT MAX(event_id) FROM events WHERE topic = ? AND typeof(event_id) = 'integer'",
            (topic,),
        )
        return _as_int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def watch_paths(self) -> list[Path]:
        """The database and its WAL (the WAL may not exist yet)."""
        return [self.location, Path(f"{self.location}-wal")]

    def close(self) -> None:
        """Close the connection and remove any temp copy."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._copy_dir is not None:
                shutil.rmtree(self._copy_dir, ignore_errors=True)
                self._copy_dir = None

    def __enter__(self) -> SqliteEventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- file backend

_TAIL_BYTES = 256


@dataclass(slots=True)
class _TopicIndex:
    """What we know of one topic file: ids and line offsets of parsed lines."""

    ino: int = -1
    scanned: int = 0
    tail: bytes = b""
    ids: array = field(default_factory=lambda: array("q"))
    offsets: array = field(default_factory=lambda: array("q"))
    skipped: int = 0
    ordered: bool = True


def _parse_line(topic: str, line: bytes) -> LogEvent | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    event_id = record.get("id")
    event = record.get("event")
    if isinstance(event_id, bool) or not isinstance(event_id, int) or not isinstance(event, dict):
        return None
    return _make_event(
        topic,
        event_id,
        event.get("kind"),
        event.get("payload"),
        event.get("headers"),
        event.get("occurred_at_ms"),
        payload_decoded=True,
    )


class FileEventLog:
    """Read-only reader of a file-backend ``events/`` dir (``topics/<topic>.jsonl``).

    Reads are incremental: per topic it keeps the ids and byte offsets of parsed
    lines and the byte offset scanned so far, so tail reads only parse appended
    bytes. A shrunk, replaced (new inode) or rewritten file is re-indexed from 0.
    A last line without ``\\n`` is a write in progress and is left for later.
    Thread-safe (one lock).
    """

    backend = "file"

    def __init__(self, path: Path | str) -> None:
        self.location = Path(path)
        if not self.location.is_dir():
            raise EventLogError(f"event log directory not found: {self.location}")
        self.topics_dir = self.location / "topics"
        self._lock = threading.RLock()
        self._index: dict[str, _TopicIndex] = {}

    def _path(self, topic: str) -> Path:
        return self.topics_dir / f"{topic}.jsonl"

    def topics(self) -> list[str]:
        """``*.jsonl`` stems in ``topics/`` (dot-files and temp files ignored), sorted."""
        try:
            names = os.listdir(self.topics_dir)
        except OSError:
            return []
        return sorted(
            name[: -len(".jsonl")]
            for name in names
            if name.endswith(".jsonl") and not name.startswith(".") and len(name) > 6
        )

    def skipped_lines(self, topic: str) -> int:
        """Complete lines of ``topic`` that failed to parse (among those scanned so far)."""
        with self._lock:
            idx = self._index.get(topic)
            return idx.skipped if idx else 0

    def _validate(self, topic: str, fh: Any) -> _TopicIndex:
        """Return the topic index, reset if the file was replaced, shrunk or rewritten."""
        st = os.fstat(fh.fileno())
        idx = self._index.get(topic)
        if idx is not None and (st.st_ino != idx.ino or st.st_size < idx.scanned):
            idx = None
        if idx is not None and idx.tail:
            fh.seek(idx.scanned - len(idx.tail))
            if fh.read(len(idx.tail)) != idx.tail:
                idx = None
        if idx is None:
            idx = _TopicIndex(ino=st.st_ino)
            self._index[topic] = idx
        return idx

    def _scan(
        self, topic: str, idx: _TopicIndex, fh: Any, after: int, want: int | None
    ) -> list[LogEvent]:
        """Index new complete lines; collect those with id > after until ``want`` are found."""
        out: list[LogEvent] = []
        fh.seek(idx.scanned)
        offset = idx.scanned
        tail = idx.tail
        while want is None or len(out) < want:
            line = fh.readline()
            if not line or not line.endswith(b"\n"):
                break
            start = offset
            offset += len(line)
            tail = (tail + line)[-_TAIL_BYTES:]
            if not line.strip():
                continue
            event = _parse_line(topic, line)
            if event is None:
                idx.skipped += 1
                continue
            if idx.ids and event.event_id <= idx.ids[-1]:
                idx.ordered = False
            idx.ids.append(event.event_id)
            idx.offsets.append(start)
            if event.event_id > after:
                out.append(event)
        idx.scanned = offset
        idx.tail = tail
        return out

    def _read_indexed(
        self, topic: str, idx: _TopicIndex, fh: Any, pos: int, after: int, limit: int
    ) -> list[LogEvent]:
        """Re-read already indexed lines starting at index position ``pos``."""
        out: list[LogEvent] = []
        fh.seek(idx.offsets[pos])
        offset = idx.offsets[pos]
        while len(out) < limit and offset < idx.scanned:
            line = fh.readline()
            if not line:
                break
            offset += len(line)
            event = _parse_line(topic, line) if line.strip() else None
            if event is not None and event.event_id > after:
                out.append(event)
        return out

    def read(self, topic: str, after: int = 0, limit: int = 1024) -> list[LogEvent]:
        """Records of ``topic`` with ``id > after``, ascending, at most ``limit``."""
        if limit <= 0:
            return []
        with self._lock:
            try:
                fh = open(self._path(topic), "rb")  # noqa: SIM115
            except FileNotFoundError:
                self._index.pop(topic, None)
                return []
            except OSError as exc:
                raise EventLogError(f"cannot read topic {topic}: {exc}") from exc
            with fh:
                idx = self._validate(topic, fh)
                if not idx.ordered:
                    return self._read_unordered(topic, idx, fh, after, limit)
                out: list[LogEvent] = []
                pos = bisect_right(idx.ids, after)
                if pos < len(idx.ids):
                    out = self._read_indexed(topic, idx, fh, pos, after, limit)
                if len(out) < limit:
                    out.extend(self._scan(topic, idx, fh, after, limit - len(out)))
                if not idx.ordered:
                    return self._read_unordered(topic, idx, fh, after, limit)
                return out

    def _read_unordered(
        self, topic: str, idx: _TopicIndex, fh: Any, after: int, limit: int
    ) -> list[LogEvent]:
        """Fallback for files whose ids are not ascending: full pass, sort by id."""
        self._scan(topic, idx, fh, after, None)
        if not idx.offsets:
            return []
        found = self._read_indexed(topic, idx, fh, 0, after, len(idx.ids))
        found.sort(key=lambda ev: ev.event_id)
        return found[:limit]

    def iter_topic(self, topic: str, after: int = 0, page: int = 1024) -> Iterator[LogEvent]:
        """All records after ``after``, read ``page`` at a time."""
        return _iter_pages(self, topic, after, page)

    def last_event_id(self, topic: str) -> int:
        """Highest event id in ``topic`` (0 when empty or missing)."""
        with self._lock:
            try:
                fh = open(self._path(topic), "rb")  # noqa: SIM115
            except OSError:
                return 0
            with fh:
                idx = self._validate(topic, fh)
                self._scan(topic, idx, fh, 2**63 - 1, None)
                return max(idx.ids) if idx.ids else 0

    def watch_paths(self) -> list[Path]:
        """The ``topics/`` dir (or the log dir when ``topics/`` does not exist yet)."""
        return [self.topics_dir if self.topics_dir.is_dir() else self.location]

    def close(self) -> None:
        """Drop cached indexes."""
        with self._lock:
            self._index.clear()

    def __enter__(self) -> FileEventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- opening


def open_event_log(backend: str, path: Path | str) -> EventLog:
    """Open a reader for ``backend`` ("sqlite" or "file") at ``path``."""
    from harn_tui.core.format.locations import absolute_path

    kind = backend.strip().lower()
    path = absolute_path(path)  # the watcher compares absolute paths
    if kind == "sqlite":
        return SqliteEventLog(path)
    if kind == "file":
        return FileEventLog(path)
    raise EventLogError(f"unsupported event log backend '{backend}'")


def open_default_event_log(
    events_arg: Path | str | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    run_root: Path | str | None = None,
) -> EventLog | None:
    """Open ``--events PATH`` if given (errors raise), else the log Harn would use for
    ``run_root`` (see `event_log_candidates`), or None."""
    if events_arg is not None:
        target = Path(events_arg)
        if not target.is_absolute() and cwd is not None:
            target = Path(cwd) / target
        return open_event_log(*resolve_events_arg(target))
    found = event_log_location(env, cwd, run_root)
    if found is None:
        return None
    return open_event_log(*found)
