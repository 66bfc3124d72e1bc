"""Time-scrubbing core: the merged timeline and the run as of a moment."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harn_tui.core.analysis.asof import (
    MOMENT_KINDS,
    as_of,
    asof_ms_of,
    event_ms,
    index_at,
    merged_timeline,
)
from harn_tui.core.demo.corpus import write_corpus
from harn_tui.core.eventlog.attach import load_run_with_events
from harn_tui.core.eventlog.hitl import HitlRequestState
from harn_tui.core.eventlog.opener import open_event_log
from harn_tui.core.eventlog.sessions import SessionEvent
from harn_tui.core.format.normalize import RunDetail, load_run

T = int(datetime(2026, 4, 22, tzinfo=UTC).timestamp() * 1000)
S = 1000


def iso(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def u7(ms: int, tail: str = "8def-0123456789ab") -> str:
    h = f"{ms:012x}"
    return f"{h[:8]}-{h[8:]}-7abc-{tail}"


def secs(ms: int) -> str:
    return f"{ms // 1000}.{ms % 1000:03d}"


def usage(i: int, o: int) -> dict[str, Any]:
    return {"input_tokens": i, "output_tokens": o, "total_duration_ms": 0, "call_count": 1,
            "total_cost": 0.5, "models": ["m"]}


def _transcript() -> dict[str, Any]:
    return {
        "_type": "transcript", "version": 2, "id": "tr-a", "summary": "earlier",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}],
        "events": [
            {"id": u7(T + 2 * S), "kind": "message", "role": "user", "text": "hi"},
            {"id": u7(T + 2500), "kind": "message", "role": "assistant", "text": "ok"},
            {"id": f"compaction-{u7(T + 3 * S)}", "kind": "compaction", "role": "system",
             "text": "compacted", "metadata": {"mode": "manual", "strategy": "truncate",
                                               "archived_messages": 3,
                                               "estimated_tokens_before": 900,
                                               "estimated_tokens_after": 100,
                                               "snapshot_asset_id": "snap-1"}},
        ],
        "assets": [{"_type": "transcript_asset", "id": "snap-1",
                    "kind": "compaction_source_transcript", "data": {"messages": []}}],
    }


RUN: dict[str, Any] = {
    "_type": "run_record", "id": "run-asof", "workflow_id": "wf", "workflow_name": "asof",
    "task": "scrub", "status": "completed",
    "started_at": iso(T), "finished_at": iso(T + 100 * S),
    "usage": usage(999, 999),
    "completed_nodes": ["a", "b", "c"],
    "stages": [
        {"id": "s-a", "node_id": "a", "kind": "stage", "status": "completed",
         "outcome": "success", "started_at": iso(T + 1 * S), "finished_at": iso(T + 10 * S),
         "visible_text": "done a", "usage": usage(10, 5), "transcript": _transcript()},
        {"id": "s-b", "node_id": "b", "kind": "verify", "status": "failed",
         "outcome": "verification_failed", "branch": "failed",
         "started_at": iso(T + 20 * S), "finished_at": iso(T + 40 * S),
         "visible_text": "tests fail", "verification": {"pass": False},
         "usage": usage(20, 7), "metadata": {"error": "boom"},
         "attempts": [
             {"attempt": 1, "status": "failed", "outcome": "error", "error": "timeout",
              "started_at": iso(T + 20 * S), "finished_at": iso(T + 25 * S)},
             {"attempt": 2, "status": "failed", "outcome": "verification_failed",
              "error": "boom", "started_at": iso(T + 30 * S), "finished_at": iso(T + 40 * S)},
         ]},
        {"id": "s-c", "node_id": "c", "kind": "subagent", "status": "completed",
         "outcome": "subagent_completed", "started_at": iso(T + 50 * S),
         "finished_at": iso(T + 90 * S), "usage": usage(30, 9),
         "metadata": {"worker": {"id": "w1", "name": "scout", "task": "look",
                                 "status": "completed", "started_at": iso(T + 55 * S),
                                 "finished_at": iso(T + 80 * S)}}},
        {"id": "s-x", "node_id": "undated", "kind": "stage", "status": "completed",
         "outcome": "success", "started_at": "sometime", "finished_at": None},
    ],
    "child_runs": [
        {"worker_id": "w-undated", "worker_name": "ghost", "status": "completed",
         "started_at": "not a time", "finished_at": None},
    ],
    "hitl_questions": [
        {"request_id": "q1", "prompt": "Deploy where?", "agent": "planner",
         "asked_at": iso(T + 30 * S)},
        {"request_id": "q2", "prompt": "Really?", "agent": "planner",
         "asked_at": iso(T + 95 * S)},
    ],
    "transitions": [
        {"id": u7(T + 20 * S), "from_node_id": "a", "to_node_id": "b",
         "timestamp": u7(T + 19 * S)},
    ],
    "checkpoints": [
        {"id": "c0", "ready_nodes": ["a"], "completed_nodes": [], "persisted_at": iso(T),
         "reason": "start"},
        {"id": "c1", "ready_nodes": ["b"], "completed_nodes": ["a"],
         "persisted_at": iso(T + 10 * S), "reason": "stage_complete"},
    ],
    "trace_spans": [
        {"span_id": 1, "parent_id": None, "kind": "pipeline", "name": "wf", "start_ms": 0,
         "duration_ms": 100 * S},
        {"span_id": 2, "parent_id": 1, "kind": "llm_call", "name": "b:llm", "start_ms": 21 * S,
         "duration_ms": 5 * S},
    ],
    "tool_recordings": [
        {"tool_name": "read", "tool_use_id": "t1", "timestamp": str((T + 22 * S) // 1000)},
    ],
}

SIDECAR = [
    {"type": "message", "timestamp": secs(T + 1500), "role": "user", "content": "go"},
    {"type": "provider_call_request", "call_id": "call-1", "iteration": 1, "model": "m",
     "timestamp": secs(T + 2 * S)},
    {"type": "provider_call_response", "call_id": "call-1", "iteration": 1, "model": "m",
     "text": "done", "input_tokens": 10, "output_tokens": 4, "response_ms": 1500,
     "timestamp": secs(T + 3500)},
    {"type": "provider_call_request", "call_id": "call-2", "iteration": 2, "model": "m",
     "timestamp": secs(T + 60 * S)},
    {"type": "provider_call_response", "call_id": "call-2", "iteration": 2, "model": "m",
     "text": "more", "input_tokens": 11, "output_tokens": 5, "response_ms": 2000,
     "timestamp": secs(T + 62 * S)},
    {"type": "daemon_event", "timestamp": secs(T + 70 * S), "daemon_id": "d1", "name": "rev",
     "kind": "spawned", "persist_path": "x", "payload_summary": None},
]


def ev(event_id: int, at: int | None, kind: str, **extra: Any) -> SessionEvent:
    return SessionEvent(event_id, at, {"type": kind, "session_id": "sess", **extra}, kind)


@pytest.fixture
def detail(tmp_path: Path) -> RunDetail:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(RUN))
    sidecar = tmp_path / "run-llm" / "llm_transcript.jsonl"
    sidecar.parent.mkdir()
    sidecar.write_text("".join(json.dumps(line) + "\n" for line in SIDECAR))
    d = load_run(path, root=tmp_path)
    d.agent_sessions = {
        "sess": [
            ev(1, T + 5 * S, "user_message", content="hello"),
            ev(2, T + 60 * S, "tool_call", tool_call_id="tc1", tool_name="read"),
            ev(3, None, "agent_message_chunk", content="undated"),
            ev(4, T + 99 * S, "turn_end", iteration=2),
        ],
        "other": [ev(1, T + 97 * S, "user_message", content="late")],
    }
    d.hitl_states = {
        "q1": HitlRequestState("q1", "question", "hitl.questions", state="answered",
                               answer="prod", asked_at=iso(T + 30 * S),
                               resolved_at_ms=T + 45 * S),
        "q2": HitlRequestState("q2", "question", "hitl.questions", asked_at=iso(T + 95 * S)),
    }
    return d


# -- the merged timeline ---------------------------------------------------------------


def test_timeline_is_sorted_covers_every_kind_and_drops_unparsed(detail: RunDetail) -> None:
    moments = merged_timeline(detail)
    assert [m.ms for m in moments] == sorted(m.ms for m in moments)
    assert {m.kind for m in moments} == set(MOMENT_KINDS)
    labels = [m.label for m in moments]
    assert "stage b started" in labels
    assert "stage b failed (verification_failed)" in labels
    assert "child run scout started" in labels and "child run scout completed" in labels
    assert "HITL asked: Deploy where?" in labels and "HITL answered: Deploy where?" in labels
    assert not any("undated" in label or "ghost" in label for label in labels)
    assert sum(m.kind == "agent" for m in moments) == 4  # the undated chunk is dropped
    refs = {m.ref for m in moments}
    assert {"stages[1]", "child_runs[1]", "hitl:q1", "turn:call-1", "span:2"} <= refs
    # the compaction is placed by the UUIDv7 inside its id and listed once (not as transcript)
    (compaction,) = [m for m in moments if m.kind == "compaction"]
    assert compaction.ms == T + 3 * S and "900 → 100" in compaction.label
    assert sum(m.kind == "transcript" for m in moments) == 2
    # spans: anchored at the run start, and the label says so
    span = next(m for m in moments if m.ref == "span:2")
    assert span.ms == T + 21 * S and span.label.startswith("span (≈ run start +21.000s) llm_call")
    # model reply = request + response_ms
    assert any(m.label.startswith("model reply #1") and m.ms == T + 3500 for m in moments)
    assert moments[0].label == "run started" and moments[0].ms == T


def test_spans_are_not_placed_when_the_run_start_does_not_parse(detail: RunDetail) -> None:
    detail.normalized["started_at"] = "whenever"
    moments = merged_timeline(detail)
    assert not any(m.kind == "span" for m in moments)
    assert as_of(detail, T + 50 * S).normalized["trace_spans"] == []


def test_event_ms_and_index_at(detail: RunDetail) -> None:
    assert event_ms(u7(T + 7)) == T + 7
    assert event_ms(f"compaction-{u7(T + 9)}") == T + 9
    assert event_ms("compaction-event-1") is None
    moments = merged_timeline(detail)
    assert index_at(moments, T - 1) is None
    at_start = index_at(moments, T)
    assert at_start is not None and moments[at_start].ms == T < moments[at_start + 1].ms
    i = index_at(moments, T + 20 * S)
    assert i is not None and moments[i].ms <= T + 20 * S < moments[i + 1].ms


# -- as_of: trimming rules per kind --------------------------------------------------


def test_before_the_start_nothing_exists(detail: RunDetail) -> None:
    view = as_of(detail, T - 1)
    run = view.record
    assert run.stages == [] and run.child_runs == [] and run.hitl_questions == []
    assert run.trace_spans == [] and run.tool_recordings == [] and run.transitions == []
    assert view.agent_sessions == {} and view.model_turns == [] and view.compaction_events == []
    assert view.daemon_events == [] and view.hitl_states == {}
    assert run.status == "running" and run.finished_at is None
    assert view.normalized["usage"] == usage(0, 0) | {"call_count": 0, "total_cost": 0.0,
                                                       "models": []}
    assert asof_ms_of(view) == T - 1


def test_stages_started_and_running(detail: RunDetail) -> None:
    full_a = detail.normalized["stages"][0]
    view = as_of(detail, T + 25 * S)
    a, b = view.record.stages
    assert a.raw is full_a  # finished by then: shown as recorded
    assert (b.node_id, b.status, b.outcome, b.branch, b.finished_at) == (
        "b", "running", "", None, None)
    assert b.usage is None and b.visible_text is None and b.verification is None
    assert "error" not in b.metadata and view.failure is None
    # attempt 1 finished at +25s (inclusive), attempt 2 not started yet
    assert [(x.attempt, x.status, x.error) for x in b.attempts] == [(1, "failed", "timeout")]
    assert view.record.status == "running" and view.record.finished_at is None
    assert view.normalized["usage"]["input_tokens"] == 10  # only stage a has finished
    assert view.normalized["completed_nodes"] == ["a"]
    assert view.normalized["pending_nodes"] == ["b"]  # the last checkpoint's ready queue
    assert [t.to_node_id for t in view.record.transitions] == ["b"]
    at_b_end = as_of(detail, T + 40 * S).record.stages[1]
    assert (at_b_end.status, at_b_end.outcome) == ("failed", "verification_failed")
    assert as_of(detail, T + 40 * S).failure == "b failed: boom"
    assert len(as_of(detail, T + 19 * S).record.stages) == 1
    assert len(as_of(detail, T + 20 * S).record.stages) == 2  # started exactly at ms


def test_running_stage_transcript_is_trimmed(detail: RunDetail) -> None:
    view = as_of(detail, T + 2 * S)
    (a,) = view.record.stages
    transcript = a.raw["transcript"]
    assert [e["text"] for e in transcript["events"]] == ["hi"]
    assert transcript["messages"] == [{"role": "user", "content": "hi"}]
    assert "summary" not in transcript and transcript["assets"] == []
    later = as_of(detail, T + 3 * S).record.stages[0].raw["transcript"]
    assert len(later["events"]) == 3 and later["assets"][0]["id"] == "snap-1"


def test_child_runs_started_and_running(detail: RunDetail) -> None:
    assert [c.worker_id for c in as_of(detail, T + 54 * S).record.child_runs] == []
    (child,) = as_of(detail, T + 60 * S).record.child_runs
    assert (child.worker_name, child.status, child.finished_at) == ("scout", "running", None)
    lineage = as_of(detail, T + 60 * S).normalized["observability"]["worker_lineage"]
    assert [(w["worker_id"], w["status"]) for w in lineage] == [("w1", "running")]
    (child,) = as_of(detail, T + 80 * S).record.child_runs
    assert child.status == "completed"


def test_hitl_asked_and_answered_later(detail: RunDetail) -> None:
    early = as_of(detail, T + 35 * S)
    assert [q.request_id for q in early.record.hitl_questions] == ["q1"]
    st = early.hitl_states["q1"]
    assert (st.state, st.answer, st.resolved_at_ms) == ("pending", None, None)
    assert "q2" not in early.hitl_states
    later = as_of(detail, T + 45 * S)
    assert later.hitl_states["q1"].state == "answered"
    assert later.hitl_states["q1"].answer == "prod"
    assert [q.request_id for q in as_of(detail, T + 95 * S).record.hitl_questions] == ["q1", "q2"]


def test_agent_events_up_to_ms(detail: RunDetail) -> None:
    view = as_of(detail, T + 60 * S)
    assert list(view.agent_sessions) == ["sess"]  # "other" had no event yet
    assert [e.event_id for e in view.agent_sessions["sess"]] == [1, 2]
    assert as_of(detail, T + 4 * S).agent_sessions == {}


def test_compactions_up_to_ms(detail: RunDetail) -> None:
    assert as_of(detail, T + 2999).compaction_events == []
    view = as_of(detail, T + 3 * S)
    assert [e["archived_messages"] for e in view.compaction_events] == [3]
    assert view.normalized["observability"]["compaction_events"] == view.compaction_events


def test_model_turns_up_to_ms(detail: RunDetail) -> None:
    assert as_of(detail, T + 1999).model_turns == []
    (waiting,) = as_of(detail, T + 3 * S).model_turns
    assert waiting["answered"] is False and waiting["output_tokens"] is None
    assert waiting["summary"] == "Waiting for model response"
    (answered,) = as_of(detail, T + 3500).model_turns
    assert answered["answered"] is True and answered["response_text"] == "done"
    turns = as_of(detail, T + 61 * S).model_turns
    assert [t["answered"] for t in turns] == [True, False]
    assert [d["name"] for d in as_of(detail, T + 70 * S).daemon_events] == ["rev"]


def test_spans_are_anchored_and_cut_at_ms(detail: RunDetail) -> None:
    spans = as_of(detail, T + 23 * S).normalized["trace_spans"]
    assert [(s["span_id"], s["duration_ms"]) for s in spans] == [(1, 23 * S), (2, 2 * S)]
    assert [s["span_id"] for s in as_of(detail, T + 20 * S).normalized["trace_spans"]] == [1]
    assert as_of(detail, T + 22 * S).record.tool_recordings[0].tool_name == "read"


def test_as_of_never_mutates_and_none_is_the_whole_run(detail: RunDetail) -> None:
    before = copy.deepcopy(detail.normalized)
    sessions = {k: list(v) for k, v in detail.agent_sessions.items()}
    states = copy.deepcopy(detail.hitl_states)
    turns = copy.deepcopy(detail.model_turns)
    for moment in merged_timeline(detail):
        as_of(detail, moment.ms)
        as_of(detail, moment.ms - 1)
    assert detail.normalized == before
    assert detail.agent_sessions == sessions and detail.hitl_states == states
    assert detail.model_turns == turns
    assert not hasattr(detail, "asof_ms")
    whole = as_of(detail, None)
    assert whole is not detail and asof_ms_of(whole) is None
    assert whole.normalized == detail.normalized


def test_at_the_end_everything_dated_is_there(detail: RunDetail) -> None:
    end = as_of(detail, merged_timeline(detail)[-1].ms)
    assert end.record.status == "completed" and end.record.finished_at == RUN["finished_at"]
    assert end.normalized["usage"] == detail.normalized["usage"]
    # dated items all present; the undated stage and child run stay hidden while scrubbing
    assert len(end.record.stages) == len(detail.record.stages) - 1
    assert len(end.record.child_runs) == len(detail.record.child_runs) - 1
    assert len(end.model_turns) == 2 and len(end.compaction_events) == 1
    assert sum(map(len, end.agent_sessions.values())) == 4


# -- on a realistic corpus: monotonic, full at the end, empty at the start ------------


@pytest.fixture(scope="module")
def corpus_details(tmp_path_factory: pytest.TempPathFactory) -> list[RunDetail]:
    base = tmp_path_factory.mktemp("asof-corpus")
    corpus = write_corpus(base / ".harn-runs", seed=5, state_dir=base / ".harn")
    log = open_event_log(corpus.backend, corpus.event_log_path)
    return [load_run_with_events(r.path, root=corpus.root, event_log=log) for r in corpus.runs
            if r.ts_format in ("uuidv7", "rfc3339", "unix", "secs_millis") and not r.sparse]


def _counts(d: RunDetail) -> tuple[int, ...]:
    run = d.normalized
    return (
        len(run["stages"]),
        sum(s["status"] != "running" for s in run["stages"]),
        len(run["child_runs"]),
        len(run["hitl_questions"]),
        len(d.compaction_events),
        len(d.model_turns),
        sum(t["answered"] for t in d.model_turns),
        sum(map(len, d.agent_sessions.values())),
        len(run["trace_spans"]),
        len(run["tool_recordings"]),
    )


def test_corpus_runs_are_monotonic_and_complete_at_the_end(
    corpus_details: list[RunDetail],
) -> None:
    assert len(corpus_details) >= 8
    checked = 0
    for d in corpus_details:
        moments = merged_timeline(d)
        assert moments, d.rel
        assert _counts(as_of(d, moments[0].ms - 1)) == (0,) * 10, d.rel
        previous = (0,) * 10
        for moment in [*moments[:: max(len(moments) // 40, 1)], moments[-1]]:
            counts = _counts(as_of(d, moment.ms))
            assert all(a <= b for a, b in zip(previous, counts, strict=True)), (d.rel, moment)
            previous = counts
        end = as_of(d, moments[-1].ms)
        full = _counts(d)
        # every count but span durations equals the full run's
        assert _counts(end) == full, d.rel
        assert end.record.status == d.record.status, d.rel
        assert [s.status for s in end.record.stages] == [s.status for s in d.record.stages]
        assert [c.status for c in end.record.child_runs] == [c.status for c in d.record.child_runs]
        checked += 1
    assert checked == len(corpus_details)


def test_timeline_holds_every_hitl_request_kind_of_the_run(detail: RunDetail) -> None:
    """An approval that names the run is a moment too (the inbox's rule, issue 9.3)."""
    run_id = detail.record.id
    detail.hitl_states = {
        **detail.hitl_states,
        "a1": HitlRequestState("a1", "approval", "hitl.approvals", state="approved", prompt="ship",
                               asked_at=iso(T + 40 * S), resolved_at_ms=T + 50 * S, run_id=run_id,
                               run_ids=(run_id,)),
        "elsewhere": HitlRequestState("elsewhere", "approval", "hitl.approvals", prompt="other",
                                      asked_at=iso(T + 41 * S), run_id="another-run"),
    }
    labels = [m.label for m in merged_timeline(detail)]
    assert "HITL approval asked: ship" in labels and "HITL approval approved: ship" in labels
    assert not any("other" in label for label in labels)
