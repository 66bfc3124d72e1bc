"""Tests for the corpus/bench generator and the live demo writer."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import orjson
import pytest

from harn_tui.core.demo.common import (
    ACTION_GRAPH_TOPIC,
    BASE_MS,
    HITL_APPROVALS,
    HITL_ESCALATIONS,
    HITL_QUESTIONS,
    LLM_TRANSCRIPT_TOPIC,
    PROVENANCE_SCHEMA,
    TS_FORMATS,
    agent_events_topic,
    atomic_write_json,
    decode_uuidv7_ms,
    dumps_pretty,
    format_ts,
    uuidv7,
)
from harn_tui.core.demo.corpus import Corpus, write_bench_root, write_corpus, write_demo
from harn_tui.core.demo.eventlog_writer import record_hash
from harn_tui.core.demo.live import LiveDemoWriter
from harn_tui.core.demo.records import make_run, workers_of


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(con.execute("SELECT topic, event_id, kind, payload, headers, occurred_at_ms "
                                "FROM events ORDER BY topic, event_id"))
    finally:
        con.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("corpus")
    return write_corpus(base / "runs", seed=7)


def test_corpus_is_deterministic(tmp_path: Path, corpus: Corpus) -> None:
    other = write_corpus(tmp_path / "runs", seed=7)
    assert _files(other.root) == _files(corpus.root)
    assert _rows(other.event_log_path) == _rows(corpus.event_log_path)
    third = write_corpus(tmp_path / "x" / "runs", seed=8, include_broken=False)
    assert _files(third.root) != _files(corpus.root)


def test_files_parse_except_broken(corpus: Corpus) -> None:
    broken = set(corpus.broken)
    assert len(broken) == 6
    for path in corpus.root.rglob("*.json"):
        if path in broken:
            continue
        orjson.loads(path.read_bytes())
    for path in broken:
        try:
            value = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        assert not isinstance(value, dict), path  # e.g. the top-level list
    run_ids = set()
    for info in corpus.runs:
        rec = orjson.loads(info.path.read_bytes())
        assert rec["_type"] == "run_record" and rec["id"] == info.run_id
        assert rec["status"] == info.status
        run_ids.add(info.run_id)
    assert len(run_ids) == len(corpus.runs) >= 12
    for path in corpus.non_runs:
        value = orjson.loads(path.read_bytes())
        assert not isinstance(value, dict) or value.get("_type") != "run_record"
    assert all(p.exists() for p in corpus.temp_files)
    assert any(p.name.startswith(".") and p.name.endswith(".tmp") for p in corpus.temp_files)
    assert any(p.name.endswith(".json.tmp") for p in corpus.temp_files)


def test_corpus_contents(corpus: Corpus) -> None:
    statuses = {r.status for r in corpus.runs}
    assert {"completed", "failed", "running", "paused", "cancelled"} <= statuses
    assert {r.ts_format for r in corpus.runs} == set(TS_FORMATS)
    assert len({r.workflow for r in corpus.runs}) >= 4
    assert any(r.sparse for r in corpus.runs)
    recs = {r.run_id: orjson.loads(r.path.read_bytes()) for r in corpus.runs}
    running = next(recs[r.run_id] for r in corpus.runs if r.status == "running")
    assert running["finished_at"] is None and running["pending_nodes"]
    failed = next(recs[r.run_id] for r in corpus.runs if r.status == "failed")
    last = failed["stages"][-1]
    assert last["kind"] == "verify" and last["status"] == "failed"
    assert last["metadata"]["error"] and all(a["error"] for a in last["attempts"])
    for r in corpus.runs:
        rec = recs[r.run_id]
        if not r.sparse and r.status != "running":
            assert len(rec["checkpoints"]) == len(rec["stages"]) + 2
    assert any("x_future_field" in rec for rec in recs.values())
    # parent with children: two child files exist, one dangles
    parent = next(rec for rec in recs.values() if len(workers_of(rec)) == 3)
    children = [r for r in corpus.runs if r.parent_run_id == parent["id"]]
    assert len(children) == 2
    paths = [w["child_run_path"] for _, w in workers_of(parent)]
    assert sum((corpus.root / p).exists() for p in paths) == 2
    assert corpus.dangling_child_run_id not in recs
    entries = {c["worker_id"]: c for c in parent["child_runs"]}
    assert any(c["task"] == "" and c["session_id"] is None for c in entries.values())
    # sidecars
    assert len(corpus.sidecars) >= 2 and all(p.exists() for p in corpus.sidecars)
    half = corpus.half_written_sidecar
    assert half is not None and not half.read_bytes().endswith(b"\n")
    types = {orjson.loads(line)["type"] for line in corpus.sidecars[0].read_bytes().splitlines()}
    assert {"system_prompt", "tool_schemas", "message", "routing_decision",
            "provider_call_request", "provider_call_response", "interpreted_response",
            "daemon_event"} <= types
    assert (corpus.root / "playground").is_dir()
    assert any(p.name == "launch.json" for p in corpus.non_runs)


def test_sqlite_schema_and_log(corpus: Corpus) -> None:
    con = sqlite3.connect(corpus.event_log_path)
    try:
        def cols(table: str) -> list[tuple]:
            return [(c[1], c[2], c[3], c[5]) for c in con.execute(f"PRAGMA table_info({table})")]

        assert cols("topic_heads") == [("topic", "TEXT", 0, 1), ("last_id", "INTEGER", 1, 0)]
        assert cols("events") == [
            ("topic", "TEXT", 1, 1), ("event_id", "INTEGER", 1, 2), ("kind", "TEXT", 1, 0),
            ("payload", "BLOB", 1, 0), ("headers", "TEXT", 1, 0),
            ("occurred_at_ms", "INTEGER", 1, 0)]
        assert cols("consumers") == [
            ("topic", "TEXT", 1, 1), ("consumer_id", "TEXT", 1, 2), ("cursor", "INTEGER", 1, 0),
            ("updated_at_ms", "INTEGER", 1, 0)]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        heads = dict(con.execute("SELECT topic, last_id FROM topic_heads"))
        maxes = dict(con.execute("SELECT topic, MAX(event_id) FROM events GROUP BY topic"))
        assert heads == maxes
        for topic in (HITL_QUESTIONS, HITL_APPROVALS, HITL_ESCALATIONS,
                      ACTION_GRAPH_TOPIC, LLM_TRANSCRIPT_TOPIC):
            assert topic in heads
        # provenance chain
        rows = list(con.execute("SELECT event_id, kind, payload, headers, occurred_at_ms "
                                "FROM events WHERE topic = ? ORDER BY event_id",
                                (HITL_QUESTIONS,)))
        prev = None
        for eid, kind, payload, headers, ms in rows:
            h = orjson.loads(headers)
            assert h["harn.provenance.schema"] == PROVENANCE_SCHEMA
            assert h.get("harn.provenance.prev_hash") == prev
            assert h["harn.provenance.record_hash"] == record_hash(
                HITL_QUESTIONS, eid, kind, orjson.loads(payload), h, ms)
            prev = h["harn.provenance.record_hash"]
        kinds = [r[1] for r in rows]
        assert {"hitl.question_asked", "hitl.response_received", "hitl.timeout"} <= set(kinds)
        # the log value must win over the record's existing entry
        wins = corpus.hitl_log_wins
        rec = orjson.loads(corpus.by_id(wins["run_id"]).path.read_bytes())
        existing = {q["request_id"]: q["prompt"] for q in rec["hitl_questions"]}
        assert existing[wins["request_id"]] == wins["record_prompt"] != wins["prompt"]
        # sanitized session topic with a colliding record
        topic = agent_events_topic(corpus.sanitized_session_id)
        assert topic == "observability.agent_events.session___1"
        sess = [orjson.loads(h)["session_id"]
                for (h,) in con.execute("SELECT headers FROM events WHERE topic = ?", (topic,))]
        assert corpus.collision_session_id in sess and corpus.sanitized_session_id in sess
        for sid in corpus.session_ids:
            assert agent_events_topic(sid) in heads, sid
        all_kinds = {k for (k,) in con.execute(
            "SELECT DISTINCT kind FROM events WHERE topic LIKE 'observability.agent_events.%'")}
        assert {"turn_start", "agent_message_chunk", "agent_thought_chunk", "tool_call",
                "tool_call_update", "skill_activated", "worker_update", "transcript_compacted",
                "hitl_requested", "hitl_resolved", "orchestration_decision",
                "iteration_start"} <= all_kinds
        assert all_kinds & {"budget_exhausted", "loop_stuck"}
        failed_updates = [orjson.loads(p)["event"] for (p,) in con.execute(
            "SELECT payload FROM events WHERE kind = 'tool_call_update'")]
        assert any(e["status"] == "failed" and e.get("error_category") for e in failed_updates)
    finally:
        con.close()


def test_file_backend(tmp_path: Path) -> None:
    c = write_corpus(tmp_path / "runs", seed=1, backend="file", include_broken=False)
    topics = c.event_log_path / "topics"
    files = {p.stem: p for p in topics.glob("*.jsonl")}
    assert HITL_QUESTIONS in files and agent_events_topic(c.sanitized_session_id) in files
    for path in files.values():
        ids = []
        for line in path.read_bytes().splitlines():
            obj = orjson.loads(line)
            assert set(obj) == {"id", "event"}
            assert set(obj["event"]) == {"kind", "payload", "headers", "occurred_at_ms"}
            ids.append(obj["id"])
        assert ids == list(range(1, len(ids) + 1))
    assert list((c.event_log_path / "consumers").glob("*.json"))


def test_uuidv7_and_timestamps() -> None:
    rng = random.Random(1)
    for ms in (0, 1, BASE_MS, 2**48 - 1):
        u = uuidv7(rng, ms)
        assert decode_uuidv7_ms(u) == ms
        assert u[14] == "7" and u[19] in "89ab"
    rec = make_run(rng, run_id="r", workflow="deploy", started_ms=BASE_MS, n_stages=4,
                     status="completed", ts_format="uuidv7")
    assert decode_uuidv7_ms(rec["started_at"]) == BASE_MS
    assert decode_uuidv7_ms(rec["checkpoints"][0]["persisted_at"]) == BASE_MS + 5
    assert format_ts(rng, BASE_MS, "rfc3339") == "2026-11-20T09:00:00Z"
    assert format_ts(rng, BASE_MS + 100, "secs_millis") == "1795165200.100"
    assert format_ts(rng, BASE_MS, "unix") == "1795165200"


def test_make_run_variants() -> None:
    rng = random.Random(2)
    sparse = make_run(rng, run_id="s", workflow="merge_captain", started_ms=BASE_MS,
                        n_stages=1, status="completed", ts_format="rfc3339", sparse=True)
    assert "observability" not in sparse and "usage" not in sparse
    assert sparse["stages"][0]["node_id"] == "run"
    rich = make_run(rng, run_id="p", workflow="research", started_ms=BASE_MS, n_stages=5,
                      status="completed", ts_format="uuidv7", with_children=2, hitl=2,
                      compactions=2, unknown_keys=True, session_ids=["sess-a", "sess-b"])
    assert rich["transcript"]["id"] == "sess-a"
    workers = workers_of(rich)
    assert len(workers) == 2 and workers[0][1]["audit"]["session_id"] == "sess-b"
    assert len(rich["hitl_questions"]) == 2 and "x_future_field" in rich
    assert all("x_stage_annotations" in s for s in rich["stages"])
    kinds = [e["kind"] for s in rich["stages"] if s["transcript"]
             for e in s["transcript"]["events"]]
    kinds += [e["kind"] for e in rich["transcript"]["events"]]
    assert kinds.count("compaction") == 2
    sized = make_run(rng, run_id="z", workflow="triage", started_ms=BASE_MS, n_stages=3,
                       status="completed", ts_format="uuidv7", size_hint_kb=80)
    assert abs(len(dumps_pretty(sized)) - 80 * 1024) < 2048


def test_bench_sizes(tmp_path: Path) -> None:
    write_bench_root(tmp_path / "b", 30, seed=3, min_kb=20, max_kb=200, processes=1)
    files = sorted((tmp_path / "b").rglob("*.json"))
    assert len(files) == 30
    assert len({p.parent for p in files}) >= 3
    for p in files:
        assert 20 * 1024 <= p.stat().st_size <= 200 * 1024, p
        assert orjson.loads(p.read_bytes())["_type"] == "run_record"
    write_bench_root(tmp_path / "c", 30, seed=3, processes=1)
    assert _files(tmp_path / "b") == _files(tmp_path / "c")


def test_atomic_write_leaves_no_temp(tmp_path: Path) -> None:
    atomic_write_json(tmp_path / "a" / "x.json", {"k": [1, 2]})
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["x.json"]
    assert (tmp_path / "a" / "x.json").read_bytes() == b'{\n  "k": [\n    1,\n    2\n  ]\n}\n'


def test_live_writer(tmp_path: Path) -> None:
    root, state = tmp_path / "runs", tmp_path / ".harn"
    root.mkdir()
    w = LiveDemoWriter(root, state, seed=5, time_scale=0.02, event_interval=0.01,
                       n_stages=8, head_start=2)
    w.start()
    try:
        assert w.wait(30)
    finally:
        w.stop()
    assert w.error is None
    assert w.runs_finished == 1
    # one rewrite when it opens (2 stages done), one per later stage, the final one, the child
    assert w.rewrites == 1 + 6 + 1 + len(w.child_paths)
    assert len(w.child_paths) == 1 and w.child_paths[0].exists()
    assert w.events_written > 8
    rec = orjson.loads(w.run_paths[0].read_bytes())
    assert rec["status"] == "completed" and rec["finished_at"]
    assert len(rec["checkpoints"]) == 10 and len(rec["stages"]) == 8
    assert rec["child_runs"] and rec["hitl_questions"]
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    con = sqlite3.connect(state / "events.sqlite")
    try:
        sid = rec["metadata"]["mutation_session"]["session_id"]
        n = con.execute("SELECT COUNT(*) FROM events WHERE topic = ?",
                        (agent_events_topic(sid),)).fetchone()[0]
        assert n == w.events_written
        kinds = [k for (k,) in con.execute(
            "SELECT kind FROM events WHERE topic = ? ORDER BY event_id", (HITL_QUESTIONS,))]
        assert kinds == ["hitl.question_asked", "hitl.response_received"]
        heads = dict(con.execute("SELECT topic, last_id FROM topic_heads"))
        assert heads == dict(con.execute("SELECT topic, MAX(event_id) FROM events GROUP BY topic"))
    finally:
        con.close()


def test_write_demo(tmp_path: Path) -> None:
    c = write_demo(tmp_path / "demo")
    assert c.state_dir == tmp_path / "demo" / ".harn"
    assert (c.state_dir / "events.sqlite").exists()
    assert len(c.broken) == 1
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(c.broken[0].read_bytes())
