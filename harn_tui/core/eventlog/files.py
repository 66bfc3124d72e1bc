"""Read-only reader of the file event-log backend, ``events/topics/<topic>.jsonl`` (spec §4)."""

from __future__ import annotations

import os
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.eventlog.protocol import LogEvent, iter_pages, make_event
from harn_tui.core.format.errors import EventLogError

__all__ = ["FileEventLog"]

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
    return make_event(
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
        return iter_pages(self, topic, after, page)

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
