"""Deterministic run roots with their event logs: the test corpus, the demo and bench roots."""

from __future__ import annotations

import multiprocessing
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harn_tui.core.demo.common import (
    ACTION_GRAPH_TOPIC,
    BASE_MS,
    HITL_APPROVALS,
    HITL_DUAL_CONTROL,
    HITL_ESCALATIONS,
    HITL_QUESTIONS,
    LLM_TRANSCRIPT_TOPIC,
    WORKFLOWS,
    agent_events_topic,
    atomic_write_json,
    decode_uuidv7_ms,
    dumps_pretty,
    rfc3339,
    uuidv7,
)
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.core.demo.records import derive_observability, make_run, workers_of
from harn_tui.core.demo.transcripts import (
    agent_event_payload,
    agent_session_stream,
    sidecar_lines,
    write_sidecar,
)
from harn_tui.core.format.timestamps import parse_ms


@dataclass(frozen=True)
class RunInfo:
    """One run file written into the corpus."""

    path: Path
    run_id: str
    workflow: str
    status: str
    ts_format: str
    sparse: bool = False
    parent_run_id: str | None = None
    session_id: str | None = None
    sidecar: Path | None = None


#: said in one tool result of the failed deploy and nowhere else (try it in search: ctrl+f)
TOOL_RESULT_PHRASE = "quota exceeded for bucket harn-artifacts-eu"


@dataclass
class Corpus:
    """What :func:`write_corpus` wrote."""

    root: Path
    state_dir: Path
    backend: str
    event_log_path: Path
    runs: list[RunInfo] = field(default_factory=list)
    broken: list[Path] = field(default_factory=list)
    non_runs: list[Path] = field(default_factory=list)
    incomplete: list[Path] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)
    sidecars: list[Path] = field(default_factory=list)
    half_written_sidecar: Path | None = None
    session_ids: list[str] = field(default_factory=list)
    sanitized_session_id: str = ""
    collision_session_id: str = ""
    dangling_child_run_id: str = ""
    hitl_log_wins: dict[str, str] = field(default_factory=dict)
    hitl_question_runs: list[str] = field(default_factory=list)
    #: (run id, tool_recordings index) of the one tool result holding TOOL_RESULT_PHRASE
    tool_result_phrase: tuple[str, int] | None = None

    def by_id(self, run_id: str) -> RunInfo:
        """The run with this id."""
        return next(r for r in self.runs if r.run_id == run_id)

    @property
    def run_paths(self) -> list[Path]:
        """Paths of all run-record files."""
        return [r.path for r in self.runs]


def _deep_nesting(depth: int) -> bytes:
    return (b'{"_type":"run_record","id":"deep-run","workflow_id":"deep","metadata":{"x":'
            + b"[" * depth + b"]" * depth + b"}}\n")


def write_corpus(
    root: Path,
    *,
    seed: int = 0,
    state_dir: Path | None = None,
    backend: str = "sqlite",
    base_ms: int = BASE_MS,
    include_broken: bool = True,
    n_extra: int = 0,
) -> Corpus:
    """Write a realistic run root plus its event log; return a :class:`Corpus`."""
    rng = random.Random(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    state = Path(state_dir) if state_dir is not None else root.parent / ".harn"
    log = EventLogWriter(state, backend)
    corpus = Corpus(root=root, state_dir=state, backend=backend, event_log_path=log.path)
    hour = 3_600_000
    weird_session = "session:α/1"
    collide_session = "session_α:1"  # sanitizes to the same topic
    corpus.sanitized_session_id = weird_session
    corpus.collision_session_id = collide_session
    records: dict[str, tuple[dict[str, Any], Path]] = {}
    starts: dict[str, int] = {}

    def rid(ms: int) -> str:
        return uuidv7(rng, ms)

    def save(rec: dict[str, Any], rel: str, ts_format: str, *, sparse: bool = False,
             session: str | None = None) -> Path:
        path = root / rel
        if not sparse:
            rec["persisted_path"] = f".harn-runs/{rel}"
        atomic_write_json(path, rec)
        corpus.runs.append(RunInfo(path=path, run_id=rec["id"],
                                   workflow=rec.get("workflow_name") or rec["workflow_id"],
                                   status=rec["status"], ts_format=ts_format, sparse=sparse,
                                   parent_run_id=rec.get("parent_run_id"), session_id=session))
        records[rec["id"]] = (rec, path)
        return path

    def start_of(rec: dict[str, Any], ms: int) -> dict[str, Any]:
        starts[rec["id"]] = ms
        return rec

    def sess(ms: int) -> str:
        return f"session_{uuidv7(rng, ms)}"

    # R1: deploy completed, auto-named file (stem != id), sidecar, compactions, hitl
    t1 = base_ms - 2 * hour
    s1 = sess(t1)
    r1 = make_run(rng, run_id=rid(t1), workflow="deploy", started_ms=t1, n_stages=8,
                  status="completed", ts_format="uuidv7", compactions=3, hitl=1,
                  session_ids=[s1], plan_out=(plan1 := {}))
    p1 = save(start_of(r1, t1), f"{uuidv7(rng, t1 + 1)}.json", "uuidv7", session=s1)
    # R2: deploy failed in verify stage
    t2 = base_ms - 5 * hour
    s2 = sess(t2)
    r2 = make_run(rng, run_id=rid(t2), workflow="deploy", started_ms=t2, n_stages=6,
                  status="failed", ts_format="uuidv7", compactions=1, session_ids=[s2])
    # what a person hunts for with search: a phrase said only inside one tool result
    if r2["tool_recordings"]:
        tool = r2["tool_recordings"][-1]
        tool["result"] = f"{tool['result']}\n{TOOL_RESULT_PHRASE} (403 AccessDenied)"
        corpus.tool_result_phrase = (r2["id"], len(r2["tool_recordings"]) - 1)
    p2 = save(start_of(r2, t2), f"{r2['id']}.json", "uuidv7", session=s2)
    # R3: review_captain parent with 3 children (2 files exist, 1 dangles)
    t3 = base_ms - 8 * hour
    s3 = sess(t3)
    child_sess = [sess(t3 + k) for k in range(1, 4)]
    r3_children: list[dict[str, Any]] = []
    r3 = make_run(rng, run_id=f"run_{rid(t3)}", workflow="review_captain", started_ms=t3,
                  n_stages=6, status="completed", ts_format="uuidv7", with_children=3,
                  compactions=1, session_ids=[s3, *child_sess],
                  child_specs=[{"workflow": "research", "n_stages": 4, "status": "completed"},
                               {"workflow": "research", "n_stages": 4, "status": "failed",
                                "unknown_keys": True},
                               {"workflow": "research", "n_stages": 3, "status": "completed"}],
                  children_out=r3_children)
    child_specs = workers_of(r3)
    for k, ((_stage, worker), child) in enumerate(zip(child_specs, r3_children, strict=True)):
        cid = worker["child_run_id"]
        if k == len(child_specs) - 1:
            dangling = f"archive/2026-10/{cid}.json"
            worker["child_run_path"] = dangling
            for c in r3["child_runs"]:
                if c["worker_id"] == worker["id"] and c.get("run_path"):
                    c["run_path"] = dangling
            corpus.dangling_child_run_id = cid
            continue
        save(start_of(child, decode_uuidv7_ms(cid)), worker["child_run_path"], "uuidv7",
             session=worker["audit"]["session_id"])
    if r3.get("observability") is not None:
        r3["observability"] = derive_observability(r3, f".harn-runs/{r3['id']}.json")
    save(start_of(r3, t3), f"{r3['id']}.json", "uuidv7", session=s3)
    # R4: research running, sidecar with a half-written last line
    t4 = base_ms - 10 * 60_000
    s4 = sess(t4)
    r4 = make_run(rng, run_id=rid(t4), workflow="research", started_ms=t4, n_stages=3,
                  status="running", ts_format="uuidv7", session_ids=[s4],
                  plan_out=(plan4 := {}))
    p4 = save(start_of(r4, t4), f"{r4['id']}.json", "uuidv7", session=s4)
    # R5: merge_captain paused (rfc3339)
    t5 = base_ms - 26 * hour
    r5 = make_run(rng, run_id=f"merge-{rng.getrandbits(32):08x}", workflow="merge_captain",
                  started_ms=t5, n_stages=4, status="paused", ts_format="rfc3339")
    save(start_of(r5, t5), f"{r5['id']}.json", "rfc3339")
    # R6: triage cancelled (unix seconds)
    t6 = base_ms - 30 * hour
    r6 = make_run(rng, run_id=rid(t6), workflow="triage", started_ms=t6, n_stages=3,
                  status="cancelled", ts_format="unix")
    save(start_of(r6, t6), f"{r6['id']}.json", "unix")
    # R7: triage completed (secs.millis) with a session id needing sanitization
    t7 = base_ms - 50 * hour
    r7 = make_run(rng, run_id=rid(t7), workflow="triage", started_ms=t7, n_stages=5,
                  status="completed", ts_format="secs_millis", session_ids=[weird_session])
    save(start_of(r7, t7), f"nightly/2026-11-18/{r7['id']}.json", "secs_millis",
         session=weird_session)
    # R8: research completed with unknown timestamp format
    t8 = base_ms - 70 * hour
    r8 = make_run(rng, run_id=rid(t8), workflow="research", started_ms=t8, n_stages=4,
                  status="completed", ts_format="unknown")
    save(start_of(r8, t8), f"{r8['id']}.json", "unknown")
    # R9 / R10: sparse persona smoke runs
    t9 = base_ms - 96 * hour
    r9 = make_run(rng, run_id="merge-captain-smoke", workflow="merge_captain", started_ms=t9,
                  n_stages=1, status="completed", ts_format="rfc3339", sparse=True)
    save(r9, "personas/merge_captain_smoke.run.json", "rfc3339", sparse=True)
    r10 = make_run(rng, run_id="review-captain-smoke", workflow="review_captain",
                   started_ms=t9, n_stages=1, status="completed", ts_format="rfc3339",
                   sparse=True)
    save(r10, "personas/review_captain_smoke.run.json", "rfc3339", sparse=True)
    # R11: deploy with unknown keys (portal demo layout)
    t11 = base_ms - 20 * hour
    r11 = make_run(rng, run_id=rid(t11), workflow="deploy", started_ms=t11, n_stages=5,
                   status="completed", ts_format="uuidv7", unknown_keys=True)
    save(start_of(r11, t11), "portal-demo/portal-success.json", "uuidv7")
    # R12: playground job with launch.json and sidecar
    t12 = base_ms - 3 * hour
    job = f"job-{t12}"
    s12 = sess(t12)
    r12 = make_run(rng, run_id=rid(t12), workflow="research", started_ms=t12, n_stages=4,
                   status="completed", ts_format="uuidv7", session_ids=[s12],
                   plan_out=(plan12 := {}))
    p12 = save(start_of(r12, t12), f"playground/{job}/run.json", "uuidv7", session=s12)
    jobdir = root / "playground" / job
    (jobdir / "workflow.harn").write_text(
        'workflow research {\n  node plan { kind: "stage" }\n  node research {}\n}\n')
    (jobdir / "task.txt").write_text(r12["task"] + "\n")
    launch = jobdir / "launch.json"
    launch.write_bytes(dumps_pretty({
        "mode": "workflow", "task": r12["task"], "provider": "anthropic",
        "model": "claude-sonnet-4", "workflow_path": f"playground/{job}/workflow.harn",
        "run_path": f"playground/{job}/run.json",
        "transcript_path": f"playground/{job}/run-llm/llm_transcript.jsonl"}))
    corpus.non_runs.append(launch)
    # extra runs
    wfs = list(WORKFLOWS)
    for k in range(n_extra):
        te = base_ms - rng.randint(1, 400) * hour // 4
        wf = wfs[k % len(wfs)]
        st = rng.choice(["completed", "completed", "failed", "paused"])
        fmt = rng.choice(["uuidv7", "uuidv7", "rfc3339", "unix"])
        re_ = make_run(rng, run_id=rid(te), workflow=wf, started_ms=te,
                       n_stages=rng.randint(2, 6), status=st, ts_format=fmt)
        save(start_of(re_, te), f"extra/{re_['id']}.json", fmt)

    # sidecars
    lines1 = sidecar_lines(rng, t1 + 500, calls=plan1["calls"], task=r1["task"])
    sc1 = p1.parent / f"{p1.stem}-llm" / "llm_transcript.jsonl"
    write_sidecar(sc1, lines1, half_written=False)
    lines4 = sidecar_lines(rng, t4 + 500, calls=plan4["calls"], task=r4["task"])
    sc4 = p4.parent / f"{p4.stem}-llm" / "llm_transcript.jsonl"
    write_sidecar(sc4, lines4, half_written=True)
    lines12 = sidecar_lines(rng, t12 + 500, calls=plan12["calls"], task=r12["task"])
    sc12 = p12.parent / "run-llm" / "llm_transcript.jsonl"
    write_sidecar(sc12, lines12, half_written=False)
    corpus.sidecars = [sc1, sc4, sc12]
    corpus.half_written_sidecar = sc4
    for i, r in enumerate(corpus.runs):
        sc = {p1: sc1, p4: sc4, p12: sc12}.get(r.path)
        if sc:
            corpus.runs[i] = RunInfo(**{**r.__dict__, "sidecar": sc})

    # temp files (both writer generations) and non-run JSON
    tmp_old = p2.with_name(p2.name + ".tmp")
    tmp_old.write_bytes(dumps_pretty(r2)[:700])
    tmp_new = p1.parent / f".{p1.name}.{uuidv7(rng, base_ms)}.tmp"
    tmp_new.write_bytes(dumps_pretty(r1))
    corpus.temp_files = [tmp_old, tmp_new]
    nr = {
        "eval-manifest.json": {"_type": "eval_suite_manifest", "version": 1,
                               "name": "nightly-regressions",
                               "cases": [{"run_path": p2.name, "fixture_path": None,
                                          "compare_to": None}]},
        "workflow-run.json": {"_type": "workflow_run", "id": "wf-legacy-1",
                              "workflow_id": "deploy", "status": "completed"},
        "tags.json": ["deploy", "nightly", "flaky"],
        "config/settings.json": {"theme": "dark", "page_size": 25},
    }
    for rel, obj in nr.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps_pretty(obj))
        corpus.non_runs.append(path)
    inc = root / "incomplete-run.json"
    inc.write_bytes(dumps_pretty({"_type": "run_record", "id": "", "workflow_id": "",
                                  "status": "running", "stages": []}))
    corpus.incomplete.append(inc)

    if include_broken:
        raw = dumps_pretty(r6)
        broken = {
            "truncated-run.json": raw[: len(raw) // 2],
            "invalid-utf8.json": b'{"_type": "run_record", "id": "bad-utf8", '
                                 b'"workflow_id": "triage", "task": "caf\xe9 \xff\xfe", '
                                 b'"status": "completed"}\n',
            "binary.json": bytes(random.Random(seed + 7).getrandbits(8) for _ in range(512))
            + b"\x00\x01\x02",
            "list-top.json": dumps_pretty([{"_type": "run_record", "id": "in-a-list",
                                            "workflow_id": "deploy"}]),
            "deep-nesting.json": _deep_nesting(10_000),
            "empty.json": b"",
        }
        for rel, data in broken.items():
            path = root / "broken" / rel if rel == "deep-nesting.json" else root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            corpus.broken.append(path)

    _write_corpus_events(rng, log, corpus, records, starts, {
        "r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "r7": r7, "r12": r12},
        {"r1": lines1, "r12": lines12})
    log.close()
    return corpus


def _hitl_question(
    rng: random.Random, ms: int, prompt: str, run_id: str | None, trace_id: str,
    request_id: str | None = None,
) -> dict[str, Any]:
    env: dict[str, Any] = {
        "request_id": request_id or f"hitl_question_{uuidv7(rng, ms)}", "kind": "question",
        "agent": "planner", "trace_id": trace_id, "requested_at": rfc3339(ms),
        "payload": {"prompt": prompt, "schema": None, "default": None, "timeout_ms": 600_000}}
    if run_id is not None:
        env["run_id"] = run_id
    return env


def run_window(rec: dict[str, Any]) -> tuple[int, int]:
    """(start, end) of a generated run in ms: finished_at, or its last stage's end."""
    start = parse_ms(rec.get("started_at")) or 0
    end = parse_ms(rec.get("finished_at"))
    if end is None:
        ends = [parse_ms(s.get("finished_at")) for s in rec.get("stages") or []]
        end = max([e for e in ends if e is not None], default=start)
    return start, end


def _stage_at(rec: dict[str, Any], index: int, fraction: float) -> int:
    """A moment `fraction` of the way through stage `index` of a generated run."""
    stage = (rec.get("stages") or [])[index]
    start = parse_ms(stage.get("started_at")) or 0
    end = parse_ms(stage.get("finished_at")) or start
    return start + int((end - start) * fraction)


def _fit_stream(
    stream: Sequence[tuple[dict[str, Any], int]], start: int, end: int
) -> list[tuple[dict[str, Any], int]]:
    """Times for (event, delay) pairs from `start`, squeezed to end by `end` if needed."""
    total = sum(delay for _ev, delay in stream)
    room = max(end - start - 1, 0)
    scale = min(1.0, room / total) if total else 1.0
    out, ms, acc = [], start, 0.0
    for ev, delay in stream:
        acc += delay * scale
        ms = start + int(acc)
        out.append((ev, ms))
    return out


def _write_corpus_events(
    rng: random.Random, log: EventLogWriter, corpus: Corpus,
    records: dict[str, tuple[dict[str, Any], Path]], starts: dict[str, int],
    named: dict[str, dict[str, Any]],
    sidecars: dict[str, list[dict[str, Any]]],
) -> None:
    """Populate HITL, agent-event, action-graph and llm-transcript topics."""
    r1, r2, r4, r5 = named["r1"], named["r2"], named["r4"], named["r5"]

    def tid(r: dict[str, Any]) -> str:
        return (r.get("metadata") or {}).get("trace_id") or f"trace_{r['id']}"

    def hdr(env: dict[str, Any], with_run: bool = True) -> dict[str, str]:
        h = {"request_id": env["request_id"], "trace_id": env["trace_id"]}
        if with_run and env.get("run_id"):
            h["run_id"] = env["run_id"]
        return h

    # Every HITL moment lies inside the stage that asked (answers later in the run).
    existing = r1["hitl_questions"][0]
    q1_ms = parse_ms(existing["asked_at"]) or starts[r1["id"]]
    q1 = _hitl_question(rng, q1_ms, "Deploy to staging-eu or staging-us?", r1["id"], tid(r1),
                        request_id=existing["request_id"])
    log.append(HITL_QUESTIONS, "hitl.question_asked", q1, hdr(q1), q1_ms)
    a1_ms = _stage_at(r1, 2, 0.5)
    log.append(HITL_QUESTIONS, "hitl.response_received",
               {"request_id": q1["request_id"], "answer": "staging-eu", "reviewer": "alice",
                "responded_at": rfc3339(a1_ms)},
               {"request_id": q1["request_id"]}, a1_ms)
    corpus.hitl_log_wins = {"run_id": r1["id"], "request_id": q1["request_id"],
                            "prompt": q1["payload"]["prompt"],
                            "record_prompt": existing["prompt"]}
    # 2) run id in headers only (payload omits run_id), answered
    q2_ms = _stage_at(r4, 0, 0.4)
    q2 = _hitl_question(rng, q2_ms, "Include the Go SDK in the survey?", None, tid(r4))
    h2 = hdr(q2)
    h2["run_id"] = r4["id"]
    log.append(HITL_QUESTIONS, "hitl.question_asked", q2, h2, q2_ms)
    a2_ms = _stage_at(r4, 1, 0.5)
    log.append(HITL_QUESTIONS, "hitl.response_received",
               {"request_id": q2["request_id"], "answer": True, "reviewer": "bob",
                "responded_at": rfc3339(a2_ms)},
               {"request_id": q2["request_id"]}, a2_ms)
    # 3) run id in payload only, pending: the paused run asked it as it paused (after its
    # last stage, before finished_at)
    q3_ms = (_stage_at(r5, -1, 1.0) + run_window(r5)[1]) // 2
    q3 = _hitl_question(rng, q3_ms, "Merge now or wait for the release freeze to end?",
                        r5["id"], tid(r5))
    log.append(HITL_QUESTIONS, "hitl.question_asked", q3, hdr(q3, with_run=False), q3_ms)
    # 4) timed out question on the failed run (its timeout_ms is when it timed out)
    q4_ms, to_ms = _stage_at(r2, 1, 0.3), _stage_at(r2, 2, 0.5)
    q4 = _hitl_question(rng, q4_ms, "Retry the flaky smoke test?", r2["id"], tid(r2))
    q4["payload"]["timeout_ms"] = to_ms - q4_ms
    log.append(HITL_QUESTIONS, "hitl.question_asked", q4, hdr(q4), q4_ms)
    log.append(HITL_QUESTIONS, "hitl.timeout",
               {"request_id": q4["request_id"], "kind": "question", "trace_id": q4["trace_id"],
                "timed_out_at": rfc3339(to_ms)}, hdr(q4, with_run=False), to_ms)
    # a question for an unknown run
    t = starts[r1["id"]]
    q5 = _hitl_question(rng, t + 5_000, "Which region?", "run_not_in_root", "trace_x")
    log.append(HITL_QUESTIONS, "hitl.question_asked", q5, hdr(q5), t + 5_000)
    corpus.hitl_question_runs = [r1["id"], r4["id"], r5["id"], r2["id"]]
    # approvals: one pending on the paused run, one approved during the deploy's canary
    ap_ms = _stage_at(r5, -1, 0.6)
    ap_id = f"hitl_approval_{uuidv7(rng, ap_ms)}"
    areq = {"id": ap_id, "action": "merge_pull_request", "args": {"pr": 471},
            "principal": "merge_captain", "requested_at": rfc3339(ap_ms),
            "deadline": rfc3339(ap_ms + 86_400_000), "approvers_required": 1,
            "evidence_refs": [], "undo_metadata": None, "capabilities_requested": ["git.push"]}
    aenv = {"request_id": ap_id, "kind": "approval", "agent": "merge_captain",
            "trace_id": tid(r5), "run_id": r5["id"], "requested_at": rfc3339(ap_ms),
            "payload": {"approval_request": areq, **areq, "detail": {"pr": 471},
                        "quorum": 1, "reviewers": ["alice", "bob"],
                        "deadline_ms": 86_400_000}}
    log.append(HITL_APPROVALS, "hitl.approval_requested", aenv, hdr(aenv), ap_ms)
    ap2_ms, ok2_ms = _stage_at(r1, 4, 0.2), _stage_at(r1, 4, 0.3)
    ap2 = f"hitl_approval_{uuidv7(rng, ap2_ms)}"
    a2req = dict(areq, id=ap2, action="deploy_to_staging", args={"version": "v2.14.0"},
                 principal="deploy", requested_at=rfc3339(ap2_ms))
    a2env = {"request_id": ap2, "kind": "approval", "agent": "deploy", "trace_id": tid(r1),
             "run_id": r1["id"], "requested_at": rfc3339(ap2_ms),
             "payload": {"approval_request": a2req, **a2req, "detail": None, "quorum": 1,
                         "reviewers": ["alice"], "deadline_ms": 3_600_000}}
    log.append(HITL_APPROVALS, "hitl.approval_requested", a2env, hdr(a2env), ap2_ms)
    log.append(HITL_APPROVALS, "hitl.response_received",
               {"request_id": ap2, "approved": True, "reviewer": "alice",
                "reason": "looks good", "responded_at": rfc3339(ok2_ms)},
               {"request_id": ap2}, ok2_ms)
    log.append(HITL_APPROVALS, "hitl.approval_approved",
               {"request_id": ap2, "reviewers": ["alice"], "reason": "looks good"},
               {"request_id": ap2, "trace_id": tid(r1)}, ok2_ms + 1)
    # dual control: the production deploy needs two people, then it runs
    dc_ms, dc_ok, dc_run = (_stage_at(r1, 5, f) for f in (0.2, 0.4, 0.6))
    dc_id = f"hitl_dual_control_{uuidv7(rng, dc_ms)}"
    dreq = dict(areq, id=dc_id, action="deploy_to_production", args={"version": "v2.14.0"},
                principal="deploy", requested_at=rfc3339(dc_ms), approvers_required=2,
                capabilities_requested=["deploy.production"])
    denv = {"request_id": dc_id, "kind": "dual_control", "agent": "deploy",
            "trace_id": tid(r1), "run_id": r1["id"], "requested_at": rfc3339(dc_ms),
            "payload": {"approval_request": dreq, **dreq, "detail": None, "quorum": 2,
                        "reviewers": ["alice", "dave"], "deadline_ms": 3_600_000}}
    log.append(HITL_DUAL_CONTROL, "hitl.dual_control_requested", denv, hdr(denv), dc_ms)
    for k, reviewer in enumerate(("alice", "dave")):
        log.append(HITL_DUAL_CONTROL, "hitl.response_received",
                   {"request_id": dc_id, "approved": True, "reviewer": reviewer,
                    "reason": "change window open", "responded_at": rfc3339(dc_ok - 1 + k)},
                   {"request_id": dc_id}, dc_ok - 1 + k)
    log.append(HITL_DUAL_CONTROL, "hitl.dual_control_approved",
               {"request_id": dc_id, "reviewers": ["alice", "dave"],
                "record": {"approved_at": rfc3339(dc_ok + 1), "reviewers": ["alice", "dave"]}},
               {"request_id": dc_id, "trace_id": tid(r1)}, dc_ok + 1)
    log.append(HITL_DUAL_CONTROL, "hitl.dual_control_executed",
               {"request_id": dc_id, "result": {"ok": True, "deployed": "v2.14.0"}},
               {"request_id": dc_id, "trace_id": tid(r1)}, dc_run)
    # escalations: the failed deploy asks on-call near its end; accepted afterwards
    es_ms = _stage_at(r2, -1, 0.5)
    es_id = f"hitl_escalation_{uuidv7(rng, es_ms)}"
    eenv = {"request_id": es_id, "kind": "escalation", "agent": "deploy", "trace_id": tid(r2),
            "run_id": r2["id"], "requested_at": rfc3339(es_ms),
            "payload": {"role": "oncall", "reason": "smoke tests failing after two retries",
                        "capability_policy": {"side_effect_level": "read_only"}}}
    log.append(HITL_ESCALATIONS, "hitl.escalation_issued", eenv, hdr(eenv), es_ms)
    log.append(HITL_ESCALATIONS, "hitl.escalation_accepted",
               {"request_id": es_id, "accepted": True, "reviewer": "carol",
                "responded_at": rfc3339(es_ms + 300_000)},
               {"request_id": es_id}, es_ms + 300_000)

    # agent events per session (every run session plus every worker session), fitted
    # into the time of the run or worker that owns the session
    sessions: dict[str, tuple[int, int, dict[str, Any] | None, bool]] = {}
    for _rid, (rec, _path) in records.items():
        sid = ((rec.get("metadata") or {}).get("mutation_session") or {}).get("session_id")
        if not sid:
            continue
        workers = workers_of(rec)
        r_start, r_end = run_window(rec)
        sessions.setdefault(sid, (r_start, r_end, workers[0][1] if workers else None,
                                  rec is r1))
        for _stage, w in workers:
            wsid = (w.get("audit") or {}).get("session_id")
            w_start, w_end = parse_ms(w.get("started_at")), parse_ms(w.get("finished_at"))
            if wsid and w_start is not None and w_end is not None:
                sessions.setdefault(wsid, (w_start, w_end, None, False))
    for sid, (start, end, worker, is_r1) in sessions.items():
        stream = agent_session_stream(
            rng, sid, worker=worker, hitl_request_id=q1["request_id"] if is_r1 else None,
            turns=4 if is_r1 else 3)
        topic = agent_events_topic(sid)
        ms = start
        for ev, ms in _fit_stream(stream, start, end):
            log.append(topic, ev["type"], agent_event_payload(sid, ev, ms),
                       {"session_id": sid}, ms)
        if sid == corpus.sanitized_session_id:
            other = corpus.collision_session_id
            ev = {"type": "agent_message_chunk", "session_id": other,
                  "content": "I belong to a different session"}
            log.append(topic, ev["type"], agent_event_payload(other, ev, ms),
                       {"session_id": other}, ms)
    corpus.session_ids = list(sessions)
    log.set_consumer(agent_events_topic(corpus.sanitized_session_id), "harn-portal", 3,
                     BASE_MS)

    # action graph updates (one per save, a few saves per run)
    for _rid, (rec, path) in sorted(records.items(), key=lambda kv: str(kv[1][1])):
        if "stages" not in rec or rec.get("workflow_id") == "run":
            continue
        rel = f".harn-runs/{path.relative_to(corpus.root).as_posix()}"
        obs = rec.get("observability") or derive_observability(rec, rel)
        tr = (rec.get("metadata") or {}).get("trace_id") or ""
        log.append(ACTION_GRAPH_TOPIC, "action_graph_update",
                   {"run_id": rec["id"], "workflow_id": rec["workflow_id"],
                    "persisted_path": rel, "status": rec["status"], "observability": obs},
                   {"run_id": rec["id"], "workflow_id": rec["workflow_id"], "trace_id": tr},
                   BASE_MS - 1000)
        if rec.get("workflow_id") == "deploy" and rec["stages"]:
            log.append(ACTION_GRAPH_TOPIC, "action_graph_update",
                       dispatcher_update(rec, tr), {"trace_id": tr, "run_id": rec["id"]}, BASE_MS - 900)
    # llm transcript lines mirrored to the event log
    for key, lines in sidecars.items():
        for line in lines:
            ms = int(float(line["timestamp"]) * 1000)
            h = {"span_id": str(line.get("span_id"))} if line.get("span_id") is not None else {}
            if key == "r12":
                h["trace_id"] = (named["r12"].get("metadata") or {}).get("trace_id", "")
            log.append(LLM_TRANSCRIPT_TOPIC, line["type"], line, h, ms)


def dispatcher_update(rec: dict[str, Any], trace_id: str) -> dict[str, Any]:
    """What Harn's trigger dispatcher appends for a run (dispatcher/mod.rs `emit_action_graph`):
    an approval gate, a local dispatch with a retry, all after the run's last stage."""
    last = f"stage:{rec['stages'][-1]['id']}"
    rid = rec["id"]

    def node(nid: str, label: str, kind: str, status: str, **meta: Any) -> dict[str, Any]:
        return {"id": nid, "label": label, "kind": kind, "status": status, "outcome": status,
                "trace_id": trace_id or None, "stage_id": None, "node_id": None, "worker_id": None,
                "run_id": rid, "run_path": None, "metadata": meta}

    nodes = [
        node(f"approval:{rid}", "release approval", "approval", "approved",
             request_id=f"hitl_approval_{rid[-6:]}", reviewers=["oncall"], reason="prod deploy"),
        node(f"dispatch:{rid}:1", "notify handler", "dispatch", "failed", attempt=1,
             target_uri="local://notify"),
        node(f"retry:{rid}:1", "retry notify", "retry", "scheduled", delay_ms=2000),
        node(f"dispatch:{rid}:2", "notify handler", "dispatch", "completed", attempt=2,
             target_uri="local://notify"),
    ]
    edges = [
        {"from_id": last, "to_id": f"approval:{rid}", "kind": "entry", "label": None},
        {"from_id": f"approval:{rid}", "to_id": f"dispatch:{rid}:1", "kind": "trigger_dispatch",
         "label": None},
        {"from_id": f"dispatch:{rid}:1", "to_id": f"retry:{rid}:1", "kind": "retry", "label": "attempt 2"},
        {"from_id": f"retry:{rid}:1", "to_id": f"dispatch:{rid}:2", "kind": "retry", "label": None},
    ]
    return {"source": "dispatcher", "trace_id": trace_id, "run_id": rid,
            "observability": {"schema_version": 1, "action_graph_nodes": nodes,
                              "action_graph_edges": edges}}


def write_demo(root: Path, *, seed: int = 0, base_ms: int | None = None) -> Corpus:
    """Write the ``--demo`` corpus (event log in ``root/.harn``) with one broken file."""
    root = Path(root)
    kwargs: dict[str, Any] = {} if base_ms is None else {"base_ms": base_ms}
    corpus = write_corpus(root, seed=seed, state_dir=root / ".harn", include_broken=False,
                          **kwargs)
    broken = root / "broken-example.json"
    broken.write_bytes(b'{\n  "_type": "run_record",\n  "id": "half-written",\n'
                       b'  "workflow_id": "deploy",\n  "stages": [\n    {\n      "id": ')
    corpus.broken.append(broken)
    return corpus


def _bench_one(args: tuple[Path, int, int, float, float]) -> None:
    root, seed, i, min_kb, max_kb = args
    rng = random.Random(seed * 1_000_003 + i)
    target = rng.uniform(min_kb, max_kb)
    wf = list(WORKFLOWS)[i % len(WORKFLOWS)]
    sub = ["", "nightly", "ci/main", f"playground/job-{BASE_MS - i}"][i % 4]
    ms = BASE_MS - i * 97_000
    rec = make_run(rng, run_id=uuidv7(rng, ms), workflow=wf, started_ms=ms,
                   n_stages=rng.randint(1, 2) if target < 45 else rng.randint(2, 5),
                   status=rng.choice(["completed", "completed", "completed", "failed",
                                      "running", "paused"]),
                   ts_format="uuidv7", size_hint_kb=target, compactions=rng.randint(0, 1))
    name = "run.json" if sub.startswith("playground") else f"{uuidv7(rng, ms + 1)}.json"
    path = root / sub / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps_pretty(rec))


def write_bench_root(
    root: Path, n: int, *, seed: int = 0, min_kb: float = 20, max_kb: float = 200,
    processes: int = 2,
) -> None:
    """Write ``n`` run files sized uniformly in ``[min_kb, max_kb]`` KB."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    # keep targets slightly inside the range so rounding never crosses it
    lo, hi = min_kb + 0.5, max(min_kb + 0.5, max_kb - 0.5)
    jobs = [(root, seed, i, lo, hi) for i in range(n)]
    processes = min(processes, os.cpu_count() or 1)
    if processes > 1 and n >= 500:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            pool.map(_bench_one, jobs, chunksize=max(1, n // (processes * 8)))
    else:
        for job in jobs:
            _bench_one(job)
