"""Tests for harn_tui.core.analysis.inbox: the HITL inbox across run files and the event log."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from harn_tui.core.analysis.inbox import (
    ASKED,
    InboxItem,
    build_inbox,
    filter_inbox,
    match_stage,
    read_run_questions,
)
from harn_tui.core.demo.common import BASE_MS, rfc3339
from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.core.demo.records import make_run
from harn_tui.core.eventlog.opener import open_event_log
from harn_tui.core.index.run_index import RunIndex
from harn_tui.core.index.summary import RunSummary


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("inbox-corpus")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", base_ms=BASE_MS)


def _scan(root: Path) -> list[RunSummary]:
    return RunIndex(root).scan()


def _corpus_inbox(corpus: Corpus) -> list[InboxItem]:
    log = open_event_log(corpus.backend, corpus.event_log_path)
    try:
        return build_inbox(_scan(corpus.root), corpus.root, log)
    finally:
        log.close()


def _write_run(root: Path, rel: str, *, hitl: int, run_id: str, ms: int = BASE_MS) -> dict[str, Any]:
    rec = make_run(random.Random(1), run_id=run_id, workflow="deploy", started_ms=ms,
                   n_stages=3, status="completed", ts_format="rfc3339", hitl=hitl)
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(rec))
    return rec


# --------------------------------------------------------------------------- corpus


def test_corpus_lists_every_kind_and_state_newest_first(corpus: Corpus) -> None:
    items = _corpus_inbox(corpus)
    assert {i.kind for i in items} == {"question", "approval", "dual_control", "escalation"}
    states = {i.state for i in items}
    assert {"pending", "answered", "timed_out", "approved", "executed", "accepted"} <= states
    asked = [i.asked_ms for i in items]
    assert None not in asked
    assert asked == sorted(asked, reverse=True)  # type: ignore[type-var]
    assert len({i.request_id for i in items}) == len(items) == 9


def test_corpus_links_each_request_to_the_run_that_asked(corpus: Corpus) -> None:
    items = _corpus_inbox(corpus)
    runs = {r.id: r for r in _scan(corpus.root) if not r.broken}
    for item in items:
        if item.run_id in runs:
            summary = runs[item.run_id]
            assert item.run_path == summary.path
            assert item.workflow == summary.workflow_name
            assert item.run_label == f"{summary.workflow_name} · {summary.id}"
    # Header-only and payload-only run ids both link (corpus questions 2 and 3).
    linked_questions = {i.run_id for i in items if i.kind == "question" and i.in_root}
    assert set(corpus.hitl_question_runs) <= linked_questions


def test_question_for_a_run_not_in_the_root(corpus: Corpus) -> None:
    items = _corpus_inbox(corpus)
    orphan = next(i for i in items if i.run_id == "run_not_in_root")
    assert orphan.run_path is None
    assert not orphan.in_root
    assert orphan.run_label == "(run not in root)"
    assert orphan.state == "pending"
    assert "run not in root" in orphan.search_text()


def test_event_log_value_wins_over_the_run_file(corpus: Corpus) -> None:
    items = _corpus_inbox(corpus)
    wins = corpus.hitl_log_wins
    item = next(i for i in items if i.request_id == wins["request_id"])
    assert item.prompt == wins["prompt"] != wins["record_prompt"]
    assert item.sources == ("run file", "event log")
    assert item.record is not None and item.record["prompt"] == wins["record_prompt"]
    assert item.state == "answered"
    assert item.answer == "staging-eu"
    assert item.reviewer == "alice"
    assert item.resolved and item.resolved_ms is not None


def test_timeout_approval_and_escalation_details(corpus: Corpus) -> None:
    items = _corpus_inbox(corpus)
    timed_out = next(i for i in items if i.state == "timed_out")
    assert timed_out.kind == "question" and timed_out.resolved_at
    approved = next(i for i in items if i.state == "approved")
    assert approved.kind == "approval" and approved.approvals == ("alice",)
    assert approved.prompt == "deploy_to_staging"
    assert isinstance(approved.request, dict) and approved.request["action"] == "deploy_to_staging"
    escalation = next(i for i in items if i.kind == "escalation")
    assert escalation.state == "accepted"
    assert escalation.prompt == "smoke tests failing after two retries"
    pending_approval = next(i for i in items if i.kind == "approval" and i.state == "pending")
    assert not pending_approval.resolved
    assert orjson.loads(orjson.dumps(pending_approval.to_json()))["request_id"] == pending_approval.request_id


# --------------------------------------------------------------------------- run files only


def test_run_file_questions_without_an_event_log_are_asked(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    rec = _write_run(root, "nightly/a.json", hitl=2, run_id="run-a")
    _write_run(root, "b.json", hitl=0, run_id="run-b")
    runs = _scan(root)
    items = build_inbox(runs, root, None)
    assert [i.request_id for i in items] == sorted(
        (q["request_id"] for q in rec["hitl_questions"]),
        key=lambda rid: next(q["asked_at"] for q in rec["hitl_questions"] if q["request_id"] == rid),
        reverse=True,
    )
    for item in items:
        assert item.state == ASKED and not item.resolved
        assert item.run_path == "nightly/a.json"
        assert item.run_id == "run-a"
        assert item.sources == ("run file",)
        assert item.kind == "question"
    assert read_run_questions(root / "b.json") == []


def test_unreadable_run_file_is_reported_and_skipped(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _write_run(root, "good.json", hitl=1, run_id="good")
    _write_run(root, "gone.json", hitl=1, run_id="gone")
    runs = _scan(root)
    (root / "gone.json").write_bytes(b'{"id": "gone", "hitl_questions": [')
    errors: list[str] = []
    items = build_inbox(runs, root, None, errors=errors)
    assert [i.run_id for i in items] == ["good"]
    assert len(errors) == 1 and errors[0].startswith("gone.json: truncated JSON")


def test_dual_control_denied_and_log_only_linking(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _write_run(root, "r.json", hitl=0, run_id="run-r")
    log = EventLogWriter(tmp_path / "state")
    ms = BASE_MS + 1000
    dc = {"request_id": "hitl_dual_control_1", "kind": "dual_control", "agent": "ops",
          "trace_id": "t1", "run_id": "run-r", "requested_at": rfc3339(ms),
          "payload": {"action": "rotate_keys", "args": {}}}
    log.append("hitl.dual_control", "hitl.dual_control_requested", dc, {"request_id": dc["request_id"]}, ms)
    log.append("hitl.dual_control", "hitl.dual_control_approved",
               {"request_id": dc["request_id"], "record": {"approved_at": rfc3339(ms + 10)}},
               {"request_id": dc["request_id"]}, ms + 10)
    log.append("hitl.dual_control", "hitl.dual_control_executed",
               {"request_id": dc["request_id"], "result": {"rotated": 3}, "responded_at": rfc3339(ms + 20)},
               {"request_id": dc["request_id"]}, ms + 20)
    ap = {"request_id": "hitl_approval_2", "kind": "approval", "agent": "ops", "trace_id": "t1",
          "requested_at": rfc3339(ms + 30), "payload": {"action": "drop_table"}}
    log.append("hitl.approvals", "hitl.approval_requested", ap, {"request_id": ap["request_id"], "run_id": "run-r"}, ms + 30)
    log.append("hitl.approvals", "hitl.approval_denied",
               {"request_id": ap["request_id"], "reason": "no", "responded_at": rfc3339(ms + 40)},
               {"request_id": ap["request_id"]}, ms + 40)
    log.close()
    reader = open_event_log("sqlite", tmp_path / "state" / "events.sqlite")
    try:
        items = build_inbox(_scan(root), root, reader)
    finally:
        reader.close()
    assert [i.request_id for i in items] == ["hitl_approval_2", "hitl_dual_control_1"]
    denied, executed = items
    assert denied.state == "denied" and denied.reason == "no" and denied.run_path == "r.json"
    assert executed.kind == "dual_control" and executed.state == "executed"
    assert executed.answer == {"rotated": 3} and executed.prompt == "rotate_keys"
    assert executed.run_path == "r.json" and executed.workflow == "deploy"


# --------------------------------------------------------------------------- filter


def _item(request_id: str, state: str, **kw: Any) -> InboxItem:
    return InboxItem(request_id=request_id, kind=kw.pop("kind", "question"), state=state, **kw)


def test_filter_by_state_and_words() -> None:
    items = [
        _item("a", "pending", prompt="Deploy to EU?", agent="planner"),
        _item("b", "answered", prompt="Retry smoke test?", agent="planner", answer="yes"),
        _item("c", "asked", prompt="Which region", workflow="deploy"),
        _item("d", "timed_out", kind="approval", prompt="merge_pull_request"),
    ]
    assert [i.request_id for i in filter_inbox(items)] == ["a", "b", "c", "d"]
    assert [i.request_id for i in filter_inbox(items, "pending")] == ["a", "c"]
    assert [i.request_id for i in filter_inbox(items, "resolved")] == ["b", "d"]
    assert [i.request_id for i in filter_inbox(items, "all", "planner deploy")] == ["a"]
    assert [i.request_id for i in filter_inbox(items, "all", "YES")] == ["b"]
    assert [i.request_id for i in filter_inbox(items, "resolved", "approval")] == ["d"]
    assert filter_inbox(items, "pending", "nothing-matches") == []
    with pytest.raises(ValueError):
        filter_inbox(items, "bogus")


# --------------------------------------------------------------------------- stage


def test_match_stage_by_time_window_then_agent() -> None:
    stages = [
        {"node_id": "plan", "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:01:00Z"},
        {"node_id": "build", "started_at": "2026-01-01T00:02:00Z", "finished_at": "2026-01-01T00:05:00Z"},
        {"node_id": "planner", "started_at": "2026-01-01T00:03:00Z", "finished_at": "2026-01-01T00:04:00Z"},
        {"node_id": "tail", "started_at": "2026-01-01T00:06:00Z", "finished_at": None},
    ]

    def at(iso: str, agent: str = "") -> int | None:
        from harn_tui.core.format.timestamps import parse_ms

        return match_stage(_item("x", "pending", asked_ms=parse_ms(iso), agent=agent), stages)

    assert at("2026-01-01T00:00:30Z") == 0
    assert at("2026-01-01T00:02:30Z") == 1
    assert at("2026-01-01T00:03:30Z") == 2  # nested: the later start wins
    assert at("2026-01-01T00:03:30Z", agent="build") == 1  # the asking agent's node wins
    assert at("2026-01-01T00:01:30Z") is None  # between stages
    assert at("2025-12-31T23:00:00Z") is None  # before the run
    assert at("2026-01-02T00:00:00Z") == 3  # an unfinished stage is open-ended
    assert match_stage(_item("x", "pending"), stages) is None


def test_match_stage_on_the_corpus(corpus: Corpus) -> None:
    from harn_tui.core.format.jsonload import decode_json

    items = _corpus_inbox(corpus)
    wins = next(i for i in items if i.request_id == corpus.hitl_log_wins["request_id"])
    assert wins.run_path is not None
    stages = decode_json((corpus.root / wins.run_path).read_bytes())["stages"]
    index = match_stage(wins, stages)
    assert index is not None
    from harn_tui.core.format.timestamps import parse_ms

    stage = stages[index]
    assert parse_ms(stage["started_at"]) <= wins.asked_ms <= parse_ms(stage["finished_at"])  # type: ignore[operator]


# --------------------------------------------------------------------------- one run's requests


def _every_kind(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A run with one question in its file and, in the log, an approval (run id in the
    header only), a dual-control request and an escalation; plus another run's approval."""
    root = tmp_path / "runs"
    rec = _write_run(root, "r.json", hitl=1, run_id="run-r")
    log = EventLogWriter(tmp_path / "state")
    ms = BASE_MS + 2000
    for n, (topic, kind, run_in_payload) in enumerate((
        ("hitl.approvals", "approval", False),
        ("hitl.dual_control", "dual_control", True),
        ("hitl.escalations", "escalation", True),
    )):
        rid = f"hitl_{kind}_{n}"
        env = {"request_id": rid, "kind": kind, "agent": "ops", "trace_id": "t",
               "requested_at": rfc3339(ms + n), "payload": {"action": f"do {kind}", "reason": "r"}}
        if run_in_payload:
            env["run_id"] = "run-r"
        event = {"approval": "hitl.approval_requested", "dual_control": "hitl.dual_control_requested",
                 "escalation": "hitl.escalation_issued"}[kind]
        log.append(topic, event, env, {"request_id": rid, "run_id": "run-r"}, ms + n)
    other = {"request_id": "hitl_approval_other", "kind": "approval", "agent": "ops", "trace_id": "t",
             "run_id": "run-other", "requested_at": rfc3339(ms), "payload": {"action": "x"}}
    log.append("hitl.approvals", "hitl.approval_requested", other,
               {"request_id": other["request_id"], "run_id": "run-other"}, ms)
    log.close()
    return root, tmp_path / "state" / "events.sqlite", rec


def test_a_runs_requests_follow_the_inboxs_rule(tmp_path: Path) -> None:
    """The run's HITL pane and count hold every kind the inbox links to it (issue 9.3)."""
    from harn_tui.core.analysis.inbox import run_requests
    from harn_tui.core.eventlog.hitl import QuestionIndex, request_states

    root, db, rec = _every_kind(tmp_path)
    reader = open_event_log("sqlite", db)
    try:
        states = request_states(reader)
        mine = run_requests(rec["hitl_questions"], "run-r", states)
        inbox = [i for i in build_inbox(_scan(root), root, reader) if i.run_path == "r.json"]
        index = QuestionIndex()
        index.poll(reader)
    finally:
        reader.close()
    assert sorted(i.kind for i in mine) == ["approval", "dual_control", "escalation", "question"]
    assert {i.request_id for i in mine} == {i.request_id for i in inbox}  # one rule for both
    assert [i.asked_ms for i in mine] == sorted(i.asked_ms for i in mine)  # oldest first
    assert index.request_ids("run-r") == {i.request_id for i in mine if i.kind != "question"}
    assert "hitl_approval_other" not in {i.request_id for i in mine}
    assert run_requests([], "", states) == []
    # the count rule (the run list and `ls` both use it): distinct ids of record and log
    record_ids = [q["request_id"] for q in rec["hitl_questions"]]
    assert index.request_count("run-r", record_ids) == len(set(record_ids) | index.request_ids("run-r"))
    assert index.request_count("run-r", [*record_ids, *index.request_ids("run-r")]) == len(
        set(record_ids) | index.request_ids("run-r"))  # an id in both counts once
    assert index.request_count("run-nobody", record_ids) is None  # the log adds nothing


def test_stage_that_asked_falls_back_to_the_latest_stage_started_before() -> None:
    from harn_tui.core.analysis.inbox import stage_that_asked
    from harn_tui.core.format.timestamps import parse_ms

    stages = [
        {"node_id": "plan", "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:01:00Z"},
        {"node_id": "build", "started_at": "2026-01-01T00:02:00Z", "finished_at": "2026-01-01T00:05:00Z"},
    ]

    def at(iso: str | None, agent: str = "") -> int | None:
        return stage_that_asked(_item("x", "pending", asked_ms=parse_ms(iso) if iso else None, agent=agent), stages)

    assert at("2026-01-01T00:00:30Z") == 0  # inside a window: that stage
    assert at("2026-01-01T00:01:30Z") == 0  # between stages: the one before
    assert at("2026-01-01T00:09:00Z") == 1  # after the last recorded stage (a paused run)
    assert at("2026-01-01T00:09:00Z", agent="plan") == 0  # ... the asking agent's node first
    assert at("2025-12-31T00:00:00Z") == 0  # before the run: its first stage
    assert at(None, agent="build") == 1  # no time: the agent's node
    assert at(None) == 1
    assert stage_that_asked(_item("x", "pending"), []) is None
