"""Trigger DLQ records for tests: Harn's own dispatcher example, a stdlib entry, a log."""

from __future__ import annotations

from pathlib import Path

from harn_tui.core.demo.eventlog_writer import EventLogWriter

#: Harn's own test event (`dlq.rs` normalizes_dispatcher_dlq_entries_with_error_class).
DISPATCHER = {
    "trigger_id": "cake-classifier",
    "binding_key": "cake-classifier@v2",
    "attempt_count": 3,
    "final_error": "provider returned 503 service unavailable",
    "event": {"id": "trigger_evt_1", "provider": "github", "kind": "issues.opened",
              "headers": {"x-delivery": "abc"}, "provider_payload": {"issue": {"number": 7}}},
    "attempts": [
        {"attempt": 1, "completed_at": "2026-04-24T10:00:00Z", "outcome": "failed", "error_msg": "500"},
        {"attempt": 2, "completed_at": "2026-04-24T10:01:00Z", "outcome": "failed", "error_msg": "503"},
    ],
}
STDLIB = {"id": "dlq_s1", "event_id": "evt_2", "binding_id": "nightly", "binding_version": 4,
          "error": "handler timed out after 30s", "state": "pending",
          "event": {"provider": "cron", "kind": "tick", "headers": {"h": "1", "n": 2}},
          "retry_history": [{"attempt": 1, "at": "2026-04-24T11:00:00Z", "status": "failed", "error": "timeout"}]}



def write_dlq(state: Path, backend: str = "sqlite") -> None:
    w = EventLogWriter(state, backend)
    ms = 1_777_000_000_000
    w.append("trigger.dlq", "dlq_moved", DISPATCHER, None, ms)
    w.append("trigger.dlq", "dlq_entry", STDLIB, None, ms + 1)
    w.append("trigger.dlq", "dlq_entry", {**STDLIB, "state": "purged"}, None, ms + 2)  # last one wins
    w.append("trigger.dlq", "other", {"id": "x"}, None, ms + 3)
    w.append("triggers.lifecycle", "predicate.evaluated", {"result": False}, {"event_id": "trigger_evt_1"}, ms)
    w.append("triggers.lifecycle", "predicate.started", {"event_id": "trigger_evt_1"}, None, ms - 1)
    w.append("triggers.lifecycle", "handler.started", {"event_id": "trigger_evt_1"}, None, ms)
    w.close()
