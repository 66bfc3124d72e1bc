"""A writer of provenance-stamped event-log records (sqlite or file backend)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.demo.common import PROVENANCE_SCHEMA, sanitize_topic_component


def record_hash(
    topic: str, event_id: int, kind: str, payload: Any, headers: dict[str, str],
    occurred_at_ms: int,
) -> str:
    """``sha256:<hex>`` over the compact, key-sorted record JSON (provenance v1)."""
    h = {k: v for k, v in headers.items() if k != "harn.provenance.record_hash"}
    body = orjson.dumps({"topic": topic, "event_id": event_id, "kind": kind, "payload": payload,
                         "headers": h, "occurred_at_ms": occurred_at_ms},
                        option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(body).hexdigest()


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS topic_heads (
    topic TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    topic TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    headers TEXT NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, event_id)
);
CREATE TABLE IF NOT EXISTS consumers (
    topic TEXT NOT NULL,
    consumer_id TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, consumer_id)
);
"""


class EventLogWriter:
    """Appends provenance-stamped records to a sqlite or file-backend event log."""

    def __init__(self, state_dir: Path, backend: str = "sqlite") -> None:
        self.backend = backend
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._heads: dict[str, tuple[int, str | None]] = {}
        self._conn: sqlite3.Connection | None = None
        if backend == "sqlite":
            self.path = self.state_dir / "events.sqlite"
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(SQLITE_SCHEMA)
            self._conn = conn
        elif backend == "file":
            self.path = self.state_dir / "events"
            (self.path / "topics").mkdir(parents=True, exist_ok=True)
            (self.path / "consumers").mkdir(parents=True, exist_ok=True)
        else:
            raise ValueError(f"unknown backend {backend!r}")

    def _head(self, topic: str) -> tuple[int, str | None]:
        if topic in self._heads:
            return self._heads[topic]
        if self._conn is not None:
            row = self._conn.execute(
                "SELECT last_id FROM topic_heads WHERE topic = ?", (topic,)).fetchone()
            if row:
                hrow = self._conn.execute(
                    "SELECT headers FROM events WHERE topic = ? AND event_id = ?",
                    (topic, row[0])).fetchone()
                prev = orjson.loads(hrow[0]).get("harn.provenance.record_hash") if hrow else None
                return int(row[0]), prev
        return 0, None

    def append(
        self, topic: str, kind: str, payload: Any, headers: dict[str, str] | None,
        occurred_at_ms: int,
    ) -> int:
        """Append one record (its own short transaction for sqlite); returns its id."""
        last, prev = self._head(topic)
        event_id = last + 1
        hdrs = dict(headers or {})
        hdrs["harn.provenance.schema"] = PROVENANCE_SCHEMA
        if prev:
            hdrs["harn.provenance.prev_hash"] = prev
        rh = record_hash(topic, event_id, kind, payload, hdrs, occurred_at_ms)
        hdrs["harn.provenance.record_hash"] = rh
        if self._conn is not None:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("INSERT INTO events (topic, event_id, kind, payload, headers, "
                          "occurred_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                          (topic, event_id, kind, orjson.dumps(payload),
                           orjson.dumps(hdrs).decode(), occurred_at_ms))
                c.execute("INSERT INTO topic_heads (topic, last_id) VALUES (?, ?) "
                          "ON CONFLICT(topic) DO UPDATE SET last_id = excluded.last_id",
                          (topic, event_id))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        else:
            line = orjson.dumps({"id": event_id, "event": {
                "kind": kind, "payload": payload, "headers": hdrs,
                "occurred_at_ms": occurred_at_ms}})
            with open(self.path / "topics" / f"{topic}.jsonl", "ab") as fh:
                fh.write(line + b"\n")
        self._heads[topic] = (event_id, rh)
        return event_id

    def set_consumer(self, topic: str, consumer_id: str, cursor: int, ms: int) -> None:
        """Record a consumer cursor."""
        if self._conn is not None:
            self._conn.execute(
                "INSERT OR REPLACE INTO consumers (topic, consumer_id, cursor, updated_at_ms) "
                "VALUES (?, ?, ?, ?)", (topic, consumer_id, cursor, ms))
        else:
            name = f"{topic}__{sanitize_topic_component(consumer_id)}.json"
            (self.path / "consumers" / name).write_bytes(orjson.dumps(
                {"topic": topic, "consumer_id": consumer_id, "cursor": cursor,
                 "updated_at_ms": ms}))

    def close(self) -> None:
        """Close the sqlite connection (the WAL is checkpointed by sqlite)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
