"""Read-only reader of the SQLite event-log backend, ``events.sqlite`` (spec §4).

Nothing here ever writes to the log. SQLite is opened with ``mode=ro`` (never
``immutable=1``), so committed WAL rows of a live writer are visible. If the
read-only open is impossible (e.g. no write access to create ``-shm``), the
database files are copied to a temp dir and the copy is read; the copy is
refreshed whenever the source files change.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harn_tui.core.eventlog.protocol import LogEvent, as_int, as_kind, iter_pages, make_event
from harn_tui.core.format.errors import EventLogError

__all__ = ["SqliteEventLog"]

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

    def _open_probed(self, path: Path) -> sqlite3.Connection:
        """A read-only connection to `path` that has answered one query (closed if not)."""
        conn = _connect(f"file:{quote(str(path))}?mode=ro", self._busy_timeout)
        try:
            self._probe(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_direct(self) -> None:
        self._conn = self._open_probed(self.location.absolute())

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
            conn = self._open_probed(self._copy_dir / self.location.name)
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
        return sorted({as_kind(row[0]) for row in rows if row[0] is not None})

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
        return [make_event(topic, *row) for row in rows]

    def iter_topic(self, topic: str, after: int = 0, page: int = 1024) -> Iterator[LogEvent]:
        """All rows after ``after``, fetched ``page`` rows at a time."""
        return iter_pages(self, topic, after, page)

    def last_event_id(self, topic: str) -> int:
        """Highest stored event id of ``topic`` (0 when empty)."""
        if not self._events_table():
            return 0
        rows = self._query(
            "SELECT MAX(event_id) FROM events WHERE topic = ? AND typeof(event_id) = 'integer'",
            (topic,),
        )
        return as_int(rows[0][0]) if rows and rows[0][0] is not None else 0

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
