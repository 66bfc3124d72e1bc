"""Tests for harn_tui.core.eventlog.sessions (spec §5.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from logbuilder import LogBuilder

from harn_tui.core.eventlog.protocol import agent_events_topic
from harn_tui.core.eventlog.sessions import (
    SessionEvent,
    load_legacy_session_jsonl,
    load_session_events,
    session_ids_in_log,
    sessions_for_run,
)
from harn_tui.core.format.errors import EventLogError


@pytest.fixture(params=["sqlite", "file"])
def builder(request: pytest.FixtureRequest, tmp_path: Path) -> LogBuilder:
    return LogBuilder(tmp_path, request.param)


def agent(
    b: LogBuilder,
    session_id: str,
    event: Any,
    *,
    header_session: str | None = None,
    occurred_at_ms: int = 1000,
    index_hint: int = 999,
    drop_event: bool = False,
) -> None:
    """Append an AgentEvent record the way EventLogSink does."""
    payload: dict[str, Any] = {"index_hint": index_hint, "session_id": session_id}
    if not drop_event:
        payload["event"] = event
    kind = event.get("type", "agent_event") if isinstance(event, dict) else "agent_event"
    headers = {"session_id": header_session if header_session is not None else session_id}
    b.add(agent_events_topic(session_id), kind, payload, headers, occurred_at_ms)


def chunk(session_id: str, text: str) -> dict[str, Any]:
    return {"type": "agent_message_chunk", "session_id": session_id, "content": text}


def kinds(events: list[SessionEvent]) -> list[str]:
    return [e.kind for e in events]


# ----------------------------------------------------------------------------- event log


def test_load_session_events_basic(builder: LogBuilder) -> None:
    agent(
        builder, "s1", {"type": "turn_start", "session_id": "s1", "iteration": 1}, occurred_at_ms=10
    )
    agent(builder, "s1", chunk("s1", "hi"), occurred_at_ms=0, index_hint=77)
    agent(builder, "s2", chunk("s2", "other"))
    log = builder.open()
    got = load_session_events(log, "s1")
    assert [(e.event_id, e.occurred_at_ms, e.kind) for e in got] == [
        (1, 10, "turn_start"),
        (2, 77, "agent_message_chunk"),  # falls back to payload.index_hint
    ]
    assert got[1].event == chunk("s1", "hi")
    assert [e.event_id for e in load_session_events(log, "s1", after=1)] == [2]
    assert load_session_events(log, "nobody") == []


def test_sanitization_collision_filtered_by_header(builder: LogBuilder) -> None:
    assert agent_events_topic("a/b") == agent_events_topic("a_b")
    agent(builder, "a/b", chunk("a/b", "one"))
    agent(builder, "a_b", chunk("a_b", "two"))
    agent(builder, "a/b", chunk("a/b", "three"))
    log = builder.open()
    assert [e.event["content"] for e in load_session_events(log, "a/b")] == ["one", "three"]
    assert [e.event["content"] for e in load_session_events(log, "a_b")] == ["two"]


def test_skip_rules_and_raw_events(builder: LogBuilder) -> None:
    agent(builder, "s", chunk("s", "ok"))
    agent(builder, "s", chunk("s", "no event"), drop_event=True)  # no payload.event
    agent(builder, "s", chunk("other", "foreign"))  # event.session_id differs
    agent(builder, "s", chunk("s", "bad header"), header_session="S")
    agent(builder, "s", {"type": "brand_new_type", "weird": [1]})  # no session_id key: kept
    agent(builder, "s", "not even an object")  # kept raw
    agent(builder, "s", {"session_id": "s", "no_type": True})  # kept raw, record kind
    got = load_session_events(builder.open(), "s")
    assert kinds(got) == ["agent_message_chunk", "brand_new_type", "agent_event", "agent_event"]
    assert got[2].event == "not even an object"
    assert got[3].event == {"session_id": "s", "no_type": True}
    assert [e.event_id for e in got] == [1, 5, 6, 7]


# ----------------------------------------------------------------------------- legacy sink


def _legacy_line(index: int, session: str, text: str) -> str:
    env = {"index": index, "emitted_at_ms": 1000 + index, "frame_depth": None}
    return json.dumps({**env, **chunk(session, text)}) + "\n"


def test_load_legacy_session_jsonl_with_rotation(tmp_path: Path) -> None:
    base = tmp_path / "event_log-s1.jsonl"
    base.write_text(_legacy_line(0, "s1", "a") + "\n" + _legacy_line(1, "s1", "b"))
    (tmp_path / "event_log-s1-000002.jsonl").write_text(
        _legacy_line(3, "s1", "d") + _legacy_line(4, "s1", "e")[:20]  # half-written tail
    )
    (tmp_path / "event_log-s1-000001.jsonl").write_text(_legacy_line(2, "s1", "c") + "{garbage\n")
    (tmp_path / "event_log-s1-x-000001.jsonl").write_text(_legacy_line(0, "s1-x", "zzz"))
    got = load_legacy_session_jsonl(base)
    assert [(e.event_id, e.event["content"]) for e in got] == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
        (4, "d"),
    ]
    assert got[0].occurred_at_ms == 1000
    assert got[0].kind == "agent_message_chunk"
    assert got[0].event["frame_depth"] is None and got[0].event["index"] == 0


def test_load_legacy_half_written_last_line(tmp_path: Path) -> None:
    base = tmp_path / "event_log-s.jsonl"
    base.write_text(_legacy_line(0, "s", "a") + _legacy_line(1, "s", "b").rstrip("\n"))
    assert [e.event_id for e in load_legacy_session_jsonl(base)] == [1]


def test_load_legacy_missing(tmp_path: Path) -> None:
    with pytest.raises(EventLogError):
        load_legacy_session_jsonl(tmp_path / "event_log-nope.jsonl")


# ----------------------------------------------------------------------------- discovery


def test_session_ids_in_log(builder: LogBuilder) -> None:
    agent(builder, "sess/1", chunk("sess/1", "x"))
    agent(builder, "plain", chunk("plain", "y"))
    builder.add("observability.agent_events.noheader", "agent_message_chunk", {"event": {}})
    builder.add("hitl.questions", "hitl.question_asked", {})
    assert session_ids_in_log(builder.open()) == ["noheader", "plain", "sess/1"]


def _tool_call(session: str, run_id: str | None, type_: str = "tool_call") -> dict[str, Any]:
    audit = None if run_id is None else {"session_id": session, "run_id": run_id}
    return {
        "type": type_,
        "session_id": session,
        "tool_call_id": "tc",
        "tool_name": "read",
        "audit": audit,
    }


def test_sessions_for_run(builder: LogBuilder) -> None:
    agent(builder, "cand", chunk("cand", "x"))
    agent(builder, "zz_audited", chunk("zz_audited", "x"))
    agent(builder, "zz_audited", _tool_call("zz_audited", "run_1"))
    agent(builder, "worker", _tool_call("worker", "run_1", "worker_update"))
    agent(builder, "other_run", _tool_call("other_run", "run_2"))
    agent(builder, "no_audit", _tool_call("no_audit", None))
    agent(builder, "chunk_only", {**chunk("chunk_only", "x"), "audit": {"run_id": "run_1"}})
    got = sessions_for_run(builder.open(), "run_1", ["cand", "missing_candidate", ""])
    assert list(got) == ["cand", "worker", "zz_audited"]
    assert kinds(got["zz_audited"]) == ["agent_message_chunk", "tool_call"]


def _log_with_sessions(builder: LogBuilder) -> Any:
    for i in range(5):
        agent(builder, "cand", chunk("cand", f"c{i}"))
    agent(builder, "zz", chunk("zz", "x"))
    agent(builder, "zz", chunk("zz", "y"))
    agent(builder, "zz", _tool_call("zz", "run_1"))
    agent(builder, "other", _tool_call("other", "run_2"))
    return builder.open()


def test_tracker_pages_with_a_limit_to_the_same_result(builder: LogBuilder) -> None:
    from harn_tui.core.eventlog.sessions import RunSessionsTracker

    log = _log_with_sessions(builder)
    tracker = RunSessionsTracker("run_1", ["cand"])
    tracker.poll(log, limit=2)
    assert tracker.more
    first = tracker.result()
    assert [len(v) for v in first.values()] == [2]  # the first page only
    polls = 1
    while tracker.more:
        tracker.poll(log, limit=2)
        polls += 1
    assert polls > 2
    full = sessions_for_run(log, "run_1", ["cand"])
    assert {k: [e.event_id for e in v] for k, v in tracker.result().items()} == {
        k: [e.event_id for e in v] for k, v in full.items()
    }
    assert not tracker.poll(log, limit=2) and not tracker.more


def test_tracker_reads_each_row_once(builder: LogBuilder) -> None:
    """A candidate session's topic is read by the audit scan; its events come from that scan."""
    from harn_tui.core.eventlog.sessions import RunSessionsTracker

    log = _log_with_sessions(builder)
    real = log.iter_topic
    read: list[int] = []

    def counting(topic: str, after: int = 0, page: int = 1024) -> Any:
        for record in real(topic, after=after, page=page):
            read.append(record.event_id)
            yield record

    log.iter_topic = counting  # type: ignore[method-assign]
    tracker = RunSessionsTracker("run_1", ["cand"])
    tracker.poll(log)
    # the audit scan reads 9 rows (cand 5, zz 3, other 1) and hands cand its events; only zz,
    # found during that scan, is read again (3): 12, where two passes read 17
    assert len(read) == 12
    assert [len(v) for v in tracker.result().values()] == [5, 3]
