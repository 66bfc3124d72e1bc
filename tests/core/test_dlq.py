"""Trigger dead letters: both writers' shapes, last event wins, predicate trace, groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dlqdata import DISPATCHER, STDLIB, write_dlq

from harn_tui.core.analysis.dlq import classify_error, group_by_error_class, load_dlq, normalize
from harn_tui.core.eventlog.opener import open_event_log
from harn_tui.core.eventlog.protocol import LogEvent


def log_event(kind: str, payload: Any, ms: int = 1_777_000_000_000) -> LogEvent:
    return LogEvent("trigger.dlq", 1, kind, payload, {}, ms)


def test_dispatcher_entry_like_harns_test() -> None:
    entry = normalize(log_event("dlq_moved", DISPATCHER))
    assert entry is not None
    assert entry.id == "dlq_cake_classifier_v2_trigger_evt_1"
    assert entry.error_class == "provider_5xx"
    assert entry.retry_count == 3 and entry.binding_id == "cake-classifier" and entry.binding_version == 2
    assert entry.headers == {"x-delivery": "abc"}
    assert entry.payload == {"issue": {"number": 7}}
    assert entry.failed_at == "2026-04-24T10:01:00Z" and entry.attempt_history[1].error == "503"


def test_stdlib_entry() -> None:
    entry = normalize(log_event("dlq_entry", STDLIB))
    assert entry is not None
    assert (entry.id, entry.binding_key, entry.error_class, entry.retry_count) == (
        "dlq_s1", "nightly@v4", "handler_timeout", 1)
    assert entry.headers == {"h": "1"} and entry.provider == "cron"


@pytest.mark.parametrize(("error", "cls"), [
    ("Budget exhausted for tenant", "budget_exhausted"),
    ("deadline exceeded", "handler_timeout"),
    ("HTTP 403 Forbidden", "auth_failed"),
    ("provider upstream failure", "provider_5xx"),
    ("predicate panic: index out of range", "predicate_panic"),
    ("handler threw", "handler_panic"),
    ("boom", "unknown"),
])
def test_error_classes(error: str, cls: str) -> None:
    assert classify_error(error) == cls


@pytest.mark.parametrize("backend", ["sqlite", "file"])
def test_load_from_an_event_log(tmp_path: Path, backend: str) -> None:
    write_dlq(tmp_path, backend)
    log = open_event_log(backend, tmp_path / ("events.sqlite" if backend == "sqlite" else "events"))
    try:
        entries = load_dlq(log)
    finally:
        log.close()
    assert [e.id for e in entries] == ["dlq_s1", "dlq_cake_classifier_v2_trigger_evt_1"]  # newest first
    assert entries[0].state == "purged"
    assert [t["kind"] for t in entries[1].predicate_trace] == ["predicate.evaluated", "predicate.started"]
    groups = group_by_error_class(entries)
    assert [(g.error_class, g.count) for g in groups] == [("handler_timeout", 1), ("provider_5xx", 1)]
