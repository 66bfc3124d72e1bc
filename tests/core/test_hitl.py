"""Tests for harn_tui.core.eventlog.hitl (spec §2.8, §4.2; harn stdlib/hitl.rs shapes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from logbuilder import LogBuilder

from harn_tui.core.eventlog.hitl import merge_questions, questions_by_run, request_states


@pytest.fixture(params=["sqlite", "file"])
def builder(request: pytest.FixtureRequest, tmp_path: Path) -> LogBuilder:
    return LogBuilder(tmp_path, request.param)


def question(
    request_id: str,
    prompt: str = "Which env?",
    *,
    run_id: str | None = "run_1",
    header_run_id: str | None = None,
    asked_at: str = "2026-04-23T12:00:00Z",
    agent: str = "planner",
    trace_id: str | None = "trace_1",
    header_request_id: str | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    payload: dict[str, Any] = {
        "request_id": request_id,
        "kind": "question",
        "agent": agent,
        "trace_id": trace_id,
        "requested_at": asked_at,
        "payload": {"prompt": prompt, "schema": None, "default": None, "timeout_ms": None},
    }
    if run_id is not None:
        payload["run_id"] = run_id
    headers = {"request_id": header_request_id or request_id, "trace_id": "trace_1"}
    if header_run_id is not None:
        headers["run_id"] = header_run_id
    return payload, headers


# ----------------------------------------------------------------------------- questions


def test_questions_by_run_basic(builder: LogBuilder) -> None:
    builder.add(
        "hitl.questions",
        "hitl.question_asked",
        *question("hitl_question_2", asked_at="2026-04-23T12:00:05Z"),
    )
    builder.add("hitl.questions", "hitl.question_asked", *question("hitl_question_1"))
    builder.add("hitl.questions", "hitl.response_received", {"request_id": "hitl_question_1"})
    got = questions_by_run(builder.open())
    assert list(got) == ["run_1"]
    assert got["run_1"] == [
        {
            "request_id": "hitl_question_1",
            "prompt": "Which env?",
            "agent": "planner",
            "trace_id": "trace_1",
            "asked_at": "2026-04-23T12:00:00Z",
        },
        {
            "request_id": "hitl_question_2",
            "prompt": "Which env?",
            "agent": "planner",
            "trace_id": "trace_1",
            "asked_at": "2026-04-23T12:00:05Z",
        },
    ]


def test_questions_indexed_under_header_and_payload_run_ids(builder: LogBuilder) -> None:
    builder.add(
        "hitl.questions",
        "hitl.question_asked",
        *question("hitl_question_1", run_id="run_payload", header_run_id="run_header"),
    )
    builder.add(
        "hitl.questions",
        "hitl.question_asked",
        *question("hitl_question_2", run_id=None, header_run_id="run_header"),
    )
    got = questions_by_run(builder.open())
    assert sorted(got) == ["run_header", "run_payload"]
    assert [q["request_id"] for q in got["run_header"]] == ["hitl_question_1", "hitl_question_2"]
    assert [q["request_id"] for q in got["run_payload"]] == ["hitl_question_1"]


def test_questions_dropped_and_defaults(builder: LogBuilder) -> None:
    # no run id anywhere -> ignored
    builder.add("hitl.questions", "hitl.question_asked", *question("hitl_question_0", run_id=None))
    # empty prompt -> dropped
    builder.add("hitl.questions", "hitl.question_asked", *question("hitl_question_1", prompt=""))
    # request id from the header when the payload lacks it
    payload, headers = question("x", header_request_id="hitl_question_h")
    del payload["request_id"]
    payload["agent"] = None
    payload["trace_id"] = None
    del payload["requested_at"]
    builder.add("hitl.questions", "hitl.question_asked", payload, headers)
    # wrong kind -> ignored
    builder.add("hitl.questions", "hitl.something_else", *question("hitl_question_3"))
    got = questions_by_run(builder.open())
    assert got == {
        "run_1": [
            {
                "request_id": "hitl_question_h",
                "prompt": "Which env?",
                "agent": "",
                "trace_id": None,
                "asked_at": "",
            }
        ]
    }


def test_merge_questions_log_wins_and_sorted() -> None:
    existing = [
        {"request_id": "b", "prompt": "old", "asked_at": "2026-01-02"},
        {"request_id": "z", "prompt": "keep", "asked_at": "2026-01-01"},
    ]
    from_log = [
        {"request_id": "b", "prompt": "new", "asked_at": "2026-01-01"},
        {"request_id": "a", "prompt": "p", "asked_at": "2026-01-01"},
    ]
    merged = merge_questions(existing, from_log)
    assert [(q["request_id"], q["prompt"]) for q in merged] == [
        ("a", "p"),
        ("b", "new"),
        ("z", "keep"),
    ]


# ----------------------------------------------------------------------------- states


def test_request_states_questions(builder: LogBuilder) -> None:
    t = "hitl.questions"
    builder.add(t, "hitl.question_asked", *question("hitl_question_a", header_run_id="r9"))
    builder.add(t, "hitl.question_asked", *question("hitl_question_b"))
    builder.add(t, "hitl.question_asked", *question("hitl_question_c"))
    builder.add(
        t,
        "hitl.response_received",
        {
            "request_id": "hitl_question_a",
            "answer": "prod",
            "reviewer": "ann",
            "responded_at": "2026-04-23T12:01:00Z",
        },
        {"request_id": "hitl_question_a"},
        occurred_at_ms=2000,
    )
    builder.add(
        t,
        "hitl.timeout",
        {
            "request_id": "hitl_question_b",
            "kind": "question",
            "trace_id": "trace_1",
            "timed_out_at": "2026-04-24T12:00:00Z",
        },
        {"request_id": "hitl_question_b", "trace_id": "trace_1"},
        occurred_at_ms=3000,
    )
    states = request_states(builder.open())
    a, b, c = states["hitl_question_a"], states["hitl_question_b"], states["hitl_question_c"]
    assert (a.kind, a.state, a.answer, a.resolved_at_ms, a.reviewer) == (
        "question",
        "answered",
        "prod",
        2000,
        "ann",
    )
    assert a.run_id == "run_1" and a.prompt == "Which env?" and a.agent == "planner"
    assert a.asked_at == "2026-04-23T12:00:00Z" and a.topic == "hitl.questions"
    assert a.resolved_at == "2026-04-23T12:01:00Z"
    assert (b.state, b.answer, b.resolved_at_ms, b.resolved_at) == (
        "timed_out",
        None,
        3000,
        "2026-04-24T12:00:00Z",
    )
    assert c.state == "pending" and not c.resolved


def _approval(request_id: str, kind: str = "approval", **extra: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "kind": kind,
        "agent": "ops",
        "trace_id": "tr",
        "run_id": "run_2",
        "requested_at": "2026-04-23T12:00:00Z",
        "payload": {"action": "deploy", "quorum": 2, "reviewers": ["a", "b"], **extra},
    }


def test_request_states_approvals(builder: LogBuilder) -> None:
    t = "hitl.approvals"
    h = {"request_id": "hitl_approval_1"}
    builder.add(t, "hitl.approval_requested", _approval("hitl_approval_1"), h)
    builder.add(
        t,
        "hitl.response_received",
        {"request_id": "hitl_approval_1", "approved": True, "reviewer": "a"},
        h,
    )
    builder.add(
        t,
        "hitl.approval_requested",
        _approval("hitl_approval_2"),
        {"request_id": "hitl_approval_2"},
    )
    builder.add(
        t,
        "hitl.approval_requested",
        _approval("hitl_approval_3"),
        {"request_id": "hitl_approval_3"},
    )
    states = request_states(builder.open())
    assert states["hitl_approval_1"].state == "pending"
    assert states["hitl_approval_1"].approvals == ("a",)
    assert states["hitl_approval_1"].prompt == "deploy"


def test_request_states_approval_outcomes(builder: LogBuilder) -> None:
    t = "hitl.approvals"
    record = {
        "approved": True,
        "reviewers": ["a", "b"],
        "approved_at": "T2",
        "reason": None,
        "signatures": [],
    }
    builder.add(
        t,
        "hitl.approval_requested",
        _approval("hitl_approval_1"),
        {"request_id": "hitl_approval_1"},
    )
    builder.add(
        t,
        "hitl.response_received",
        {"request_id": "hitl_approval_1", "approved": True, "reviewer": "a"},
        {"request_id": "hitl_approval_1"},
    )
    builder.add(
        t,
        "hitl.response_received",
        {"request_id": "hitl_approval_1", "approved": True, "reviewer": "b"},
        {"request_id": "hitl_approval_1"},
    )
    builder.add(
        t,
        "hitl.approval_approved",
        {"request_id": "hitl_approval_1", "record": record},
        {"request_id": "hitl_approval_1", "trace_id": "tr"},
        occurred_at_ms=5,
    )
    builder.add(
        t,
        "hitl.approval_requested",
        _approval("hitl_approval_2"),
        {"request_id": "hitl_approval_2"},
    )
    builder.add(
        t,
        "hitl.response_received",
        {"request_id": "hitl_approval_2", "approved": False, "reviewer": "b", "reason": "no"},
        {"request_id": "hitl_approval_2"},
    )
    builder.add(
        t,
        "hitl.approval_denied",
        {"request_id": "hitl_approval_2", "reviewer": "b", "reason": "no"},
        {"request_id": "hitl_approval_2", "trace_id": "tr"},
    )
    builder.add(
        t,
        "hitl.approval_requested",
        _approval("hitl_approval_3"),
        {"request_id": "hitl_approval_3"},
    )
    builder.add(
        t, "hitl.cancelled", {"request_id": "hitl_approval_3"}, {"request_id": "hitl_approval_3"}
    )
    states = request_states(builder.open())
    one, two, three = (states[f"hitl_approval_{i}"] for i in (1, 2, 3))
    assert (one.state, one.answer, one.approvals, one.resolved_at) == (
        "approved",
        record,
        ("a", "b"),
        "T2",
    )
    assert (two.state, two.reviewer, two.reason) == ("denied", "b", "no")
    assert three.state == "cancelled"
    assert one.kind == "approval" and one.run_id == "run_2"


def test_request_states_dual_control_and_escalation(builder: LogBuilder) -> None:
    d = "hitl.dual_control"
    h = {"request_id": "hitl_dual_control_1"}
    builder.add(
        d, "hitl.dual_control_requested", _approval("hitl_dual_control_1", "dual_control"), h
    )
    builder.add(
        d,
        "hitl.dual_control_approved",
        {"request_id": "hitl_dual_control_1", "record": {"approved": True}},
        h,
    )
    builder.add(
        d,
        "hitl.dual_control_executed",
        {"request_id": "hitl_dual_control_1", "result": {"ok": 1}},
        h,
        occurred_at_ms=9,
    )
    e = "hitl.escalations"
    esc = {
        "request_id": "hitl_escalation_1",
        "kind": "escalation",
        "agent": "a",
        "trace_id": "t",
        "requested_at": "2026-04-23T12:00:00Z",
        "payload": {"role": "oncall", "reason": "disk full", "capability_policy": {}},
    }
    builder.add(e, "hitl.escalation_issued", esc, {"request_id": "hitl_escalation_1"})
    builder.add(
        e,
        "hitl.escalation_accepted",
        {"request_id": "hitl_escalation_1", "accepted": True, "reviewer": "bob"},
        {"request_id": "hitl_escalation_1"},
    )
    builder.add(
        e,
        "hitl.escalation_issued",
        {**esc, "request_id": "hitl_escalation_2"},
        {"request_id": "hitl_escalation_2"},
    )
    builder.add(
        e,
        "hitl.escalation_accepted",
        {"request_id": "hitl_escalation_2", "accepted": False},
        {"request_id": "hitl_escalation_2"},
    )
    # a response on hitl.responses resolves by request-id prefix
    builder.add(
        e,
        "hitl.escalation_issued",
        {**esc, "request_id": "hitl_escalation_3"},
        {"request_id": "hitl_escalation_3"},
    )
    builder.add(
        "hitl.responses",
        "hitl.response_received",
        {"request_id": "hitl_escalation_3", "accepted": True},
        {"request_id": "hitl_escalation_3"},
    )
    states = request_states(builder.open())
    dc = states["hitl_dual_control_1"]
    assert (dc.kind, dc.state, dc.answer, dc.resolved_at_ms) == (
        "dual_control",
        "executed",
        {"ok": 1},
        9,
    )
    one = states["hitl_escalation_1"]
    assert (one.kind, one.state, one.reviewer, one.prompt) == (
        "escalation",
        "accepted",
        "bob",
        "disk full",
    )
    assert one.run_id is None
    assert states["hitl_escalation_2"].state == "denied"
    assert states["hitl_escalation_3"].state == "accepted"


def test_request_states_missing_topics_and_bad_rows(builder: LogBuilder) -> None:
    builder.add("hitl.questions", "hitl.question_asked", "not an object")
    builder.add("hitl.questions", "hitl.response_received", {"answer": 1})  # no request id
    assert request_states(builder.open()) == {}
