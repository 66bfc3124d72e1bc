"""Tests for harn_tui.core.eventlog.attach: the one merge of a run's HITL and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from logbuilder import LogBuilder

from harn_tui.core.eventlog.attach import RunAttacher, attach_run, load_run_with_events
from harn_tui.core.eventlog.hitl import QuestionIndex
from harn_tui.core.eventlog.protocol import EventLog, LogEvent, agent_events_topic
from harn_tui.core.format.errors import EventLogError
from harn_tui.core.format.normalize import RunDetail, load_run

RUN = "run_1"


@pytest.fixture(params=["sqlite", "file"])
def builder(request: pytest.FixtureRequest, tmp_path: Path) -> LogBuilder:
    return LogBuilder(tmp_path, request.param)


def _run_file(tmp_path: Path, session: str = "linked") -> Path:
    path = tmp_path / "runs" / "r.json"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(
        orjson.dumps(
            {
                "_type": "run_record",
                "id": RUN,
                "workflow_id": "wf",
                "child_runs": [{"worker_id": "w1", "session_id": session}],
            }
        )
    )
    return path


def _ask(
    b: LogBuilder,
    request_id: str,
    topic: str = "hitl.questions",
    kind: str = "hitl.question_asked",
    at: str = "2026-04-23T12:00:00Z",
) -> None:
    payload = {
        "request_id": request_id,
        "run_id": RUN,
        "agent": "planner",
        "requested_at": at,
        "payload": {"prompt": f"ask {request_id}?"},
    }
    b.add(topic, kind, payload, {"request_id": request_id})


def _agent(b: LogBuilder, session: str, event: dict[str, Any]) -> None:
    b.add(
        agent_events_topic(session),
        event["type"],
        {"event": event, "session_id": session},
        {"session_id": session},
    )


def _chunk(session: str, text: str) -> dict[str, Any]:
    return {"type": "agent_message_chunk", "session_id": session, "content": text}


def _audited(session: str) -> dict[str, Any]:
    return {
        "type": "tool_call",
        "session_id": session,
        "tool_call_id": "tc",
        "tool_name": "read",
        "audit": {"session_id": session, "run_id": RUN},
    }


def _fill(b: LogBuilder) -> None:
    _ask(b, "hitl_question_2", at="2026-04-23T12:00:05Z")
    _ask(b, "hitl_question_1")
    b.add(
        "hitl.questions",
        "hitl.response_received",
        {"request_id": "hitl_question_1", "answer": "prod"},
        {"request_id": "hitl_question_1"},
    )
    _ask(b, "hitl_approval_1", "hitl.approvals", "hitl.approval_requested")
    for i in range(5):
        _agent(b, "linked", _chunk("linked", f"c{i}"))
    _agent(b, "audited", _chunk("audited", "x"))
    _agent(b, "audited", _audited("audited"))


def _view(detail: RunDetail) -> dict[str, Any]:
    return {
        "questions": detail.normalized["hitl_questions"],
        "states": {rid: (st.kind, st.state) for rid, st in detail.hitl_states.items()},
        "sessions": {sid: [e.event_id for e in evs] for sid, evs in detail.agent_sessions.items()},
        "error": detail.event_log_error,
    }


class Counting:
    """An EventLog wrapper counting the rows handed out by `iter_topic` and `read`."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.backend, self.location = log.backend, log.location
        self.rows = 0

    def iter_topic(self, topic: str, after: int = 0, page: int = 1024) -> Iterator[LogEvent]:
        for event in self.log.iter_topic(topic, after=after, page=page):
            self.rows += 1
            yield event

    def read(self, topic: str, after: int = 0, limit: int = 1024) -> list[LogEvent]:
        rows = self.log.read(topic, after=after, limit=limit)
        self.rows += len(rows)
        return rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self.log, name)


def test_one_shot_and_paged_incremental_attach_agree(builder: LogBuilder, tmp_path: Path) -> None:
    _fill(builder)
    log = builder.open()
    path = _run_file(tmp_path)
    once = _view(load_run_with_events(path, event_log=log))
    assert [q["request_id"] for q in once["questions"]] == ["hitl_question_1", "hitl_question_2"]
    assert once["states"] == {
        "hitl_question_1": ("question", "answered"),
        "hitl_question_2": ("question", "pending"),
        "hitl_approval_1": ("approval", "pending"),
    }
    assert list(once["sessions"]) == ["audited", "linked"]
    attacher = RunAttacher(log)
    detail = load_run(path)
    attacher.attach(detail, limit=2)
    assert attacher.more and len(detail.agent_sessions["linked"]) == 2  # the first page
    pages = 1
    while attacher.more:
        attacher.attach(detail, limit=2)
        pages += 1
    assert pages == 3
    assert _view(detail) == once


def test_attacher_reads_only_new_rows(tmp_path: Path) -> None:
    builder = LogBuilder(tmp_path, "file")  # the file backend lets the test append in place
    _fill(builder)
    log = Counting(builder.open())
    attacher = RunAttacher(log)  # type: ignore[arg-type]
    detail = load_run(_run_file(tmp_path))
    attacher.attach(detail)
    assert log.rows > 0
    log.rows = 0
    attacher.attach(detail)
    assert log.rows == 0  # nothing new, nothing read (HITL states not re-folded)
    _agent(builder, "linked", _chunk("linked", "late"))
    builder.open()  # rewrites the topic files with one row appended
    attacher.attach(detail)
    assert log.rows == 1
    assert len(detail.agent_sessions["linked"]) == 6
    log.rows = 0
    _ask(builder, "hitl_question_3", at="2026-04-23T12:00:09Z")
    builder.open()
    attacher.attach(detail)
    assert detail.normalized["hitl_questions"][-1]["request_id"] == "hitl_question_3"
    assert detail.hitl_states["hitl_question_3"].state == "pending"
    assert log.rows < 10  # the new row, and the HITL topics re-folded once: no agent rows


def test_run_questions_come_from_the_questions_topic_only(
    builder: LogBuilder, tmp_path: Path
) -> None:
    """Harn merges `hitl.questions` into a run's questions; a stray `question_asked` elsewhere
    still counts as the run's request but is not one of its hitl_questions."""
    _ask(builder, "hitl_question_1")
    _ask(builder, "hitl_question_stray", topic="hitl.approvals")
    log = builder.open()
    index = QuestionIndex()
    detail = load_run(_run_file(tmp_path))
    RunAttacher(log, questions=index).attach(detail)
    assert [q["request_id"] for q in detail.normalized["hitl_questions"]] == ["hitl_question_1"]
    assert index.request_ids(RUN) == {"hitl_question_1", "hitl_question_stray"}


class Broken:
    backend, location = "sqlite", Path("/nowhere")

    def iter_topic(self, *args: Any, **kwargs: Any) -> Iterator[LogEvent]:
        raise EventLogError("event log is locked")

    def last_event_id(self, topic: str) -> int:
        raise EventLogError("event log is locked")


def test_unreadable_log_reports_and_legacy_sessions_still_attach(tmp_path: Path) -> None:
    path = _run_file(tmp_path, "sess-legacy")
    logs = tmp_path / "logs"
    logs.mkdir()
    line = {"index": 0, "emitted_at_ms": 5, "type": "turn_start", "session_id": "sess-legacy"}
    (logs / "event_log-sess-legacy.jsonl").write_bytes(orjson.dumps(line) + b"\n")
    detail = load_run(path)
    ok = RunAttacher(Broken(), legacy_dirs=[logs]).attach(detail)  # type: ignore[arg-type]
    assert not ok and detail.event_log_error == "event log is locked"
    assert [e.kind for e in detail.agent_sessions["sess-legacy"]] == ["turn_start"]


def test_no_log_reports_why_and_without_sessions_reads_none(
    builder: LogBuilder, tmp_path: Path
) -> None:
    path = _run_file(tmp_path)
    detail = attach_run(load_run(path), None, log_error="no event log found")
    assert detail.event_log_error == "no event log found" and detail.agent_sessions == {}
    _fill(builder)
    detail = attach_run(load_run(path), builder.open(), with_sessions=False)
    assert detail.agent_sessions == {} and len(detail.normalized["hitl_questions"]) == 2
