"""Generated data obeys what a real Harn run obeys (`harn_tui.core.demo.invariants`).

Every run `write_corpus` writes (several seeds and sizes), every `make_run` hypothesis can
think of, and every state the live demo writes is checked; the checks themselves are shown
to catch each contradiction the demo used to tell.
"""

from __future__ import annotations

import copy
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harn_tui.core.demo.common import (
    BASE_MS,
    HITL_QUESTIONS,
    TS_FORMATS,
    WORKFLOWS,
    agent_events_topic,
    rfc3339,
    uuidv7,
)
from harn_tui.core.demo.corpus import Corpus, run_window, write_corpus, write_demo
from harn_tui.core.demo.invariants import event_log_violations, run_violations
from harn_tui.core.demo.live import LiveDemoWriter
from harn_tui.core.demo.records import make_run, workers_of
from harn_tui.core.format.normalize import load_run
from harn_tui.core.format.timestamps import parse_ms
from harn_tui.core.index.summary import summarize


def _sidecar(path: Path | None) -> list[dict[str, Any]] | None:
    if path is None or not path.exists():
        return None
    out = []
    for line in path.read_bytes().splitlines():
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:  # the deliberately half-written last line
            continue
    return out


def _log_rows(db: Path) -> list[tuple[str, str, dict[str, Any], int]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [(t, k, orjson.loads(p), ms) for t, k, p, ms in con.execute(
            "SELECT topic, kind, payload, occurred_at_ms FROM events ORDER BY topic, event_id")]
    finally:
        con.close()


def _session_windows(records: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Each agent session's owner: its run's span, or its worker's span in the parent."""
    windows: dict[str, tuple[int, int]] = {}
    for rec in records.values():
        sid = ((rec.get("metadata") or {}).get("mutation_session") or {}).get("session_id")
        if sid and "stages" in rec:
            windows[sid] = run_window(rec)
        for _stage, worker in workers_of(rec):
            w0, w1 = parse_ms(worker.get("started_at")), parse_ms(worker.get("finished_at"))
            wsid = (worker.get("audit") or {}).get("session_id")
            if wsid and w0 is not None and w1 is not None:
                windows.setdefault(wsid, (w0, w1))
    return windows


@pytest.mark.parametrize(("seed", "n_extra"), [(0, 0), (3, 0), (7, 10), (9, 4), (11, 25)])
def test_every_corpus_run_obeys_the_invariants(tmp_path: Path, seed: int, n_extra: int) -> None:
    corpus = write_corpus(tmp_path / "runs", seed=seed, n_extra=n_extra)
    records = {r.run_id: orjson.loads(r.path.read_bytes()) for r in corpus.runs}
    problems = []
    for info in corpus.runs:
        problems += run_violations(records[info.run_id], children=records,
                                   sidecar=_sidecar(info.sidecar))
    problems += event_log_violations(_log_rows(corpus.event_log_path), records,
                                     _session_windows(records))
    assert problems == []
    # what the list shows is what the header shows, and the LLM sidecar has one turn per call
    for info in corpus.runs:
        raw = records[info.run_id]
        detail = load_run(info.path, root=corpus.root)
        assert summarize(raw, info.path.name).duration_ms == detail.duration_ms
        if info.sidecar is not None:
            calls = sum((s.get("usage") or {}).get("call_count", 0) for s in raw["stages"])
            assert len(detail.model_turns) == calls > 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    workflow=st.sampled_from(sorted(WORKFLOWS)),
    status=st.sampled_from(["completed", "failed", "cancelled", "paused", "running"]),
    ts_format=st.sampled_from(TS_FORMATS),
    n_stages=st.integers(1, 9),
    with_children=st.integers(0, 3),
    compactions=st.integers(0, 3),
    hitl=st.integers(0, 2),
    time_scale=st.sampled_from([0.001, 0.05, 1.0, 3.0]),
    sparse=st.booleans(),
)
def test_make_run_obeys_the_invariants(  # type: ignore[no-untyped-def]
    seed, workflow, status, ts_format, n_stages, with_children, compactions, hitl, time_scale, sparse
) -> None:
    children: list[dict[str, Any]] = []
    specs = [{"status": random.Random(seed + k).choice(["completed", "failed"])}
             for k in range(with_children)]
    run = make_run(random.Random(seed), run_id="r", workflow=workflow, started_ms=BASE_MS,
                     n_stages=n_stages, status=status, ts_format=ts_format, sparse=sparse,
                     with_children=with_children, compactions=compactions, hitl=hitl,
                     time_scale=time_scale, child_specs=specs, children_out=children)
    by_id = {c["id"]: c for c in children}
    assert run_violations(run, children=by_id) == []
    for child in children:
        assert run_violations(child) == []


# -- the checks catch what the demo used to show --------------------------------------


@pytest.fixture(scope="module")
def good() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    children: list[dict[str, Any]] = []
    run = make_run(random.Random(5), run_id="run_good", workflow="deploy", started_ms=BASE_MS,
                     n_stages=8, status="completed", ts_format="uuidv7", with_children=1,
                     hitl=1, compactions=2, children_out=children)
    assert run_violations(run, children={c["id"]: c for c in children}) == []
    return run, {c["id"]: c for c in children}


def _set_time(item: dict[str, Any], key: str, ms: int) -> None:
    item[key] = uuidv7(random.Random(1), ms)


def _ms(value: Any) -> int:
    out = parse_ms(value)
    assert out is not None
    return out


def _broken(run: dict[str, Any], how: str) -> dict[str, Any]:
    run = copy.deepcopy(run)
    start = _ms(run["started_at"])
    first = run["stages"][0]
    if how == "finished a second after it started, 1m07s long":
        _set_time(run, "finished_at", start + 1000)
    elif how == "running with no stage":
        run.update(status="running", finished_at=None, stages=[], trace_spans=[])
    elif how == "1.5 s stages under a 2m10s header":
        for stage in run["stages"]:
            if stage["usage"]:
                stage["usage"]["total_duration_ms"] += 130_000
    elif how == "llm_call span outside its stage":
        span = next(s for s in run["trace_spans"] if s["kind"] == "llm_call")
        span["start_ms"] = _ms(run["finished_at"]) - start + 5_000
    elif how == "usage totals are not the stage sums":
        run["usage"]["input_tokens"] += 1
    elif how == "completed run with an unfinished stage":
        first["finished_at"] = None
    elif how == "stage outside the run":
        _set_time(first, "started_at", start - 60_000)
    elif how == "HITL asked after the run":
        run["hitl_questions"][0]["asked_at"] = rfc3339(_ms(run["finished_at"]) + 60_000)
    elif how == "compaction count disagrees":
        stage = next(s for s in run["stages"] if s["artifacts"])
        stage["artifacts"][0]["data"]["trace"]["compactions"] += 1
    return run


@pytest.mark.parametrize("how", [
    "finished a second after it started, 1m07s long",
    "running with no stage",
    "1.5 s stages under a 2m10s header",
    "llm_call span outside its stage",
    "usage totals are not the stage sums",
    "completed run with an unfinished stage",
    "stage outside the run",
    "HITL asked after the run",
    "compaction count disagrees",
])
def test_the_checks_catch_each_contradiction(good, how: str) -> None:  # type: ignore[no-untyped-def]
    run, children = good
    assert run_violations(_broken(run, how), children=children) != []


def test_child_run_outside_its_stage_and_hitl_order_are_caught(good) -> None:  # type: ignore[no-untyped-def]
    run, children = good
    child = copy.deepcopy(next(iter(children.values())))
    _set_time(child, "finished_at", _ms(run["finished_at"]) + 60_000)
    assert any("child run" in v for v in run_violations(run, children={child["id"]: child}))
    failed = dict(child, status="failed")
    assert any("worker says" in v for v in run_violations(run, children={child["id"]: failed}))
    asked = ("hitl.questions", "hitl.question_asked", {"request_id": "q", "run_id": run["id"]},
             _ms(run["started_at"]) + 10)
    early = ("hitl.questions", "hitl.response_received", {"request_id": "q"}, asked[3] - 1)
    assert event_log_violations([asked, early], {run["id"]: run}) != []
    assert event_log_violations([asked, (*early[:3], asked[3] + 1)], {run["id"]: run}) == []


# -- the live demo ----------------------------------------------------------------------


def _live(tmp_path: Path, **kwargs: Any) -> LiveDemoWriter:
    root, state = tmp_path / "runs", tmp_path / ".harn"
    root.mkdir(exist_ok=True)
    writer = LiveDemoWriter(root, state, time_scale=0.02, event_interval=0.01, keep_states=True,
                            **kwargs)
    writer.start()
    try:
        assert writer.wait(60)
    finally:
        writer.stop()
    assert writer.error is None
    return writer


def test_every_state_the_live_demo_writes_obeys_the_invariants(tmp_path: Path) -> None:
    w = _live(tmp_path, seed=4, n_stages=8, head_start=2)
    children = {r["id"]: r for _p, r in w.states if r.get("parent_run_id")}
    for _path, rec in w.states:
        assert run_violations(rec, children=children) == [], rec["status"]
    run_states = [r for p, r in w.states if p == w.run_paths[0]]
    assert len(w.sidecar_states) == len(run_states)
    for rec, lines in zip(run_states, w.sidecar_states, strict=True):  # model turns so far
        assert run_violations(rec, sidecar=lines) == []
    counts = [len(r["stages"]) for r in run_states]
    assert counts == [2, 3, 4, 5, 6, 7, 8, 8]  # opens mid-flight, one stage per rewrite
    assert [r["status"] for r in run_states] == [*["running"] * 7, "completed"]
    final = orjson.loads(w.run_paths[0].read_bytes())
    assert final == run_states[-1] | {"observability": final["observability"]}
    assert final["child_runs"] and final["hitl_questions"] and final["trace_spans"]
    assert run_violations(final, children=children, sidecar=_sidecar(w.sidecar_path)) == []
    rows = _log_rows(tmp_path / ".harn" / "events.sqlite")
    sessions = {w.session_id: run_window(final)}
    assert event_log_violations(rows, {final["id"]: final}, sessions) == []
    kinds = [k for t, k, _p, _ms in rows if t == HITL_QUESTIONS]
    assert kinds == ["hitl.question_asked", "hitl.response_received"]
    asked = next(ms for t, k, _p, ms in rows if k == "hitl.question_asked")
    answered = next(ms for t, k, _p, ms in rows if k == "hitl.response_received")
    stage_ends = [_ms(s["finished_at"]) for s in final["stages"]]
    assert stage_ends[2] < asked < answered < stage_ends[-1]  # midway, answered before the end
    agent_kinds = {k for t, k, _p, _ms in rows if t == agent_events_topic(w.session_id)}
    assert {"tool_call", "worker_update", "hitl_requested", "hitl_resolved"} <= agent_kinds


def test_the_live_demo_stops_growing(tmp_path: Path) -> None:
    corpus = write_demo(tmp_path / "demo", base_ms=int(time.time() * 1000) - 15 * 60 * 1000)
    before = {p for p in corpus.root.rglob("*.json")}
    w = _live_in(corpus)
    after_done = {p for p in corpus.root.rglob("*.json")}
    assert after_done - before == {*w.run_paths, *w.child_paths}
    assert len(w.run_paths) == 1 and len(w.child_paths) == 1 and w.runs_finished == 1
    time.sleep(0.3)
    assert {p for p in corpus.root.rglob("*.json")} == after_done
    records = {r.run_id: orjson.loads(r.path.read_bytes()) for r in corpus.runs}
    records.update((orjson.loads(p.read_bytes())["id"], orjson.loads(p.read_bytes()))
                   for p in w.child_paths)
    live = orjson.loads(w.run_paths[0].read_bytes())
    assert run_violations(live, children=records) == []


def _live_in(corpus: Corpus) -> LiveDemoWriter:
    writer = LiveDemoWriter(corpus.root, corpus.state_dir, time_scale=0.02, event_interval=0.01)
    writer.start()
    try:
        assert writer.wait(60)
    finally:
        writer.stop()
    assert writer.error is None
    return writer
