"""A test helper: Harn-shaped records written to an SQLite or file-backend event log."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

from harn_tui.core.eventlog.files import FileEventLog
from harn_tui.core.eventlog.protocol import EventLog
from harn_tui.core.eventlog.sqlite import SqliteEventLog


class LogBuilder:
    """Writes Harn-shaped records to an sqlite or file-backend log in tmp_path."""

    def __init__(self, root: Path, backend: str) -> None:
        self.root = root
        self.backend = backend
        self.records: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)

    def add(
        self,
        topic: str,
        kind: str,
        payload: Any,
        headers: dict[str, str] | None = None,
        occurred_at_ms: int = 1000,
    ) -> None:
        event_id = len(self.records[topic]) + 1
        event = {
            "kind": kind,
            "payload": payload,
            "headers": headers or {},
            "occurred_at_ms": occurred_at_ms,
        }
        self.records[topic].append((event_id, event))

    def open(self) -> EventLog:
        if self.backend == "file":
            topics = self.root / "events" / "topics"
            topics.mkdir(parents=True, exist_ok=True)
            for topic, rows in self.records.items():
                with (topics / f"{topic}.jsonl").open("w") as fh:
                    for event_id, event in rows:
                        fh.write(json.dumps({"id": event_id, "event": event}) + "\n")
            return FileEventLog(self.root / "events")
        path = self.root / "events.sqlite"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE events (topic TEXT NOT NULL, event_id INTEGER NOT NULL, "
            "kind TEXT NOT NULL, payload BLOB NOT NULL, headers TEXT NOT NULL, "
            "occurred_at_ms INTEGER NOT NULL, PRIMARY KEY (topic, event_id))"
        )
        for topic, rows in self.records.items():
            for event_id, ev in rows:
                conn.execute(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        topic,
                        event_id,
                        ev["kind"],
                        json.dumps(ev["payload"]).encode(),
                        json.dumps(ev["headers"]),
                        ev["occurred_at_ms"],
                    ),
                )
        conn.commit()
        conn.close()
        return SqliteEventLog(path)
