"""A background writer that makes a demo run root look alive.

It advances a ``deploy`` run stage by stage with atomic rewrites (the way
harn's ``workflow_execute`` does) and streams agent events, HITL records and
action-graph updates into the SQLite event log, using real wall-clock time.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harn_tui.core.generator import (
    ACTION_GRAPH_TOPIC,
    HITL_QUESTIONS,
    Corpus,
    EventLogWriter,
    _replay_fixture,
    _sum_usage,
    agent_event_payload,
    agent_events_topic,
    agent_turn,
    atomic_write_json,
    child_record_from_worker,
    derive_observability,
    make_run,
    rfc3339,
    uuidv7,
    write_corpus,
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class LiveDemoWriter:
    """Advance a running ``deploy`` run and stream events until stopped.

    Counters (``rewrites``, ``events_written``, ``runs_finished``) and
    ``run_paths`` are updated as it goes; ``finished`` is set once ``max_runs``
    runs are complete.
    """

    def __init__(
        self,
        root: Path,
        state_dir: Path,
        *,
        seed: int = 0,
        stage_interval: float = 1.5,
        event_interval: float = 0.2,
        max_runs: int = 3,
        n_stages: int = 8,
    ) -> None:
        self.root = Path(root)
        self.state_dir = Path(state_dir)
        self.stage_interval = stage_interval
        self.event_interval = event_interval
        self.max_runs = max_runs
        self.n_stages = n_stages
        self.rng = random.Random(seed)
        self.rewrites = 0
        self.events_written = 0
        self.runs_finished = 0
        self.run_paths: list[Path] = []
        self.child_paths: list[Path] = []
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log: EventLogWriter | None = None
        self._events: Iterator[dict[str, Any]] | None = None
        self._session = ""

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        """Start the daemon thread (no-op if already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._main, name="harn-live-demo", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until all runs are done; False on timeout."""
        return self.finished.wait(timeout)

    # ------------------------------------------------------------------ internals

    def _main(self) -> None:
        try:
            self._log = EventLogWriter(self.state_dir, "sqlite")
            for _ in range(self.max_runs):
                if self._stop.is_set():
                    break
                self._one_run()
                if not self._stop.is_set() and self.runs_finished < self.max_runs:
                    self._tick(self.stage_interval)
        except BaseException as exc:  # surfaced to tests via .error
            self.error = exc
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
            self.finished.set()

    def _append(self, topic: str, kind: str, payload: Any, headers: dict[str, str]) -> None:
        assert self._log is not None
        self._log.append(topic, kind, payload, headers, _now_ms())

    def _event_stream(self) -> Iterator[dict[str, Any]]:
        iteration = 0
        while True:
            iteration += 1
            for ev, _delay in agent_turn(self.rng, self._session, iteration,
                                         fail_tool=iteration % 5 == 0, chunks=6):
                yield ev

    def _emit(self, ev: dict[str, Any] | None = None) -> None:
        if ev is None:
            assert self._events is not None
            ev = next(self._events)
        ms = _now_ms()
        assert self._log is not None
        self._log.append(agent_events_topic(self._session), ev["type"],
                         agent_event_payload(self._session, ev, ms),
                         {"session_id": self._session}, ms)
        self.events_written += 1

    def _tick(self, duration: float) -> None:
        """Emit agent events every ``event_interval`` for ``duration`` seconds."""
        deadline = time.monotonic() + duration
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._emit()
            self._stop.wait(min(self.event_interval, remaining))

    def _save(self, record: dict[str, Any], path: Path) -> None:
        rel = f".harn-runs/{path.relative_to(self.root).as_posix()}"
        record["persisted_path"] = rel
        record["observability"] = derive_observability(record, rel)
        atomic_write_json(path, record)
        self.rewrites += 1
        meta = record.get("metadata") or {}
        self._append(ACTION_GRAPH_TOPIC, "action_graph_update",
                     {"run_id": record["id"], "workflow_id": record["workflow_id"],
                      "persisted_path": rel, "status": record["status"],
                      "observability": record["observability"]},
                     {"run_id": record["id"], "workflow_id": record["workflow_id"],
                      "trace_id": meta.get("trace_id", "")})

    def _one_run(self) -> None:
        rng = self.rng
        start = _now_ms()
        run_id = uuidv7(rng, start)
        self._session = f"session_{uuidv7(rng, start)}"
        self._events = self._event_stream()
        template = make_run(rng, run_id=run_id, workflow="deploy", started_ms=start,
                            n_stages=self.n_stages, status="completed", ts_format="uuidv7",
                            with_children=1, session_ids=[self._session])
        path = self.root / f"{uuidv7(rng, start + 1)}.json"
        self.run_paths.append(path)
        stages_t: list[dict[str, Any]] = template["stages"]
        rec = copy.deepcopy(template)
        first = stages_t[0]["node_id"]
        rec.update(status="running", started_at=uuidv7(rng, start), finished_at=None,
                   stages=[], transitions=[], completed_nodes=[], pending_nodes=[first],
                   child_runs=[], artifacts=[], handoffs=[], transcript=None,
                   usage=_sum_usage([]), trace_spans=template["trace_spans"][:1],
                   tool_recordings=[], hitl_questions=[], replay_fixture=None)
        rec["checkpoints"] = [{"id": uuidv7(rng, start), "ready_nodes": [first],
                               "completed_nodes": [], "last_stage_id": None,
                               "persisted_at": uuidv7(rng, _now_ms()), "reason": "start"}]
        self._save(rec, path)
        self._emit({"type": "turn_start", "session_id": self._session, "iteration": 0})
        trace_id = rec["metadata"]["trace_id"]
        question: dict[str, Any] | None = None
        hitl_ask_at, hitl_answer_at = len(stages_t) // 3, (2 * len(stages_t)) // 3
        for k, tmpl in enumerate(stages_t):
            if self._stop.is_set():
                return
            s_start = _now_ms()
            self._tick(self.stage_interval)
            s_end = _now_ms()
            stage = copy.deepcopy(tmpl)
            stage["started_at"] = uuidv7(rng, s_start)
            stage["finished_at"] = uuidv7(rng, s_end)
            n_att = len(stage["attempts"])
            for a, att in enumerate(stage["attempts"]):
                a0 = s_start + (s_end - s_start) * a // n_att
                a1 = s_start + (s_end - s_start) * (a + 1) // n_att
                att["started_at"], att["finished_at"] = uuidv7(rng, a0), uuidv7(rng, a1)
            worker = (stage.get("metadata") or {}).get("worker")
            if isinstance(worker, dict):
                self._write_child(stage, worker, s_start, s_end, run_id)
            if rec["stages"]:
                prev = rec["stages"][-1]
                rec["transitions"].append({
                    "id": uuidv7(rng, s_start), "from_stage_id": prev["id"],
                    "from_node_id": prev["node_id"], "to_node_id": stage["node_id"],
                    "branch": prev["branch"], "timestamp": uuidv7(rng, s_start),
                    "consumed_artifact_ids": list(prev["produced_artifact_ids"]),
                    "produced_artifact_ids": []})
            rec["stages"].append(stage)
            rec["artifacts"].extend(stage["artifacts"])
            rec["completed_nodes"] = list(dict.fromkeys(s["node_id"] for s in rec["stages"]))
            nxt = stages_t[k + 1]["node_id"] if k + 1 < len(stages_t) else None
            rec["pending_nodes"] = [nxt] if nxt else []
            rec["usage"] = _sum_usage([s["usage"] for s in rec["stages"]])
            n_rec = len(template["tool_recordings"]) * (k + 1) // len(stages_t)
            rec["tool_recordings"] = template["tool_recordings"][:n_rec]
            n_sp = len(template["trace_spans"]) * (k + 1) // len(stages_t)
            rec["trace_spans"] = template["trace_spans"][: max(1, n_sp)]
            rec["child_runs"] = [child_record_from_worker(s) for s in rec["stages"]
                                 if isinstance(s["metadata"].get("worker"), dict)]
            if k == hitl_ask_at:
                question = self._ask(run_id, trace_id)
                rec["hitl_questions"] = [{
                    "request_id": question["request_id"],
                    "prompt": question["payload"]["prompt"], "agent": question["agent"],
                    "trace_id": trace_id, "asked_at": question["requested_at"]}]
            if k == hitl_answer_at and question is not None:
                self._answer(question)
            rec["checkpoints"].append({
                "id": uuidv7(rng, s_end), "ready_nodes": list(rec["pending_nodes"]),
                "completed_nodes": list(rec["completed_nodes"]), "last_stage_id": stage["id"],
                "persisted_at": uuidv7(rng, _now_ms()), "reason": "stage_complete"})
            self._save(rec, path)
        end = _now_ms()
        rec.update(status="completed", finished_at=uuidv7(rng, end), pending_nodes=[],
                   transcript=template["transcript"], trace_spans=template["trace_spans"],
                   tool_recordings=template["tool_recordings"])
        rec["checkpoints"].append({
            "id": uuidv7(rng, end), "ready_nodes": [],
            "completed_nodes": list(rec["completed_nodes"]),
            "last_stage_id": rec["stages"][-1]["id"] if rec["stages"] else None,
            "persisted_at": uuidv7(rng, end), "reason": "finalize"})
        rec["replay_fixture"] = _replay_fixture(rng, rec, end)
        self._save(rec, path)
        self._emit({"type": "budget_exhausted", "session_id": self._session,
                    "max_iterations": 32})
        self.runs_finished += 1

    def _write_child(
        self, stage: dict[str, Any], worker: dict[str, Any], s_start: int, s_end: int,
        parent_id: str,
    ) -> None:
        rng = self.rng
        child_id = worker["child_run_id"]
        child = make_run(rng, run_id=child_id, workflow="research", started_ms=s_start,
                         n_stages=3, status="completed", ts_format="uuidv7",
                         session_ids=[worker["audit"]["session_id"]])
        child["finished_at"] = uuidv7(rng, s_end)
        child["parent_run_id"] = parent_id
        child["root_run_id"] = parent_id
        child["metadata"].update({"parent_worker_id": worker["id"],
                                  "parent_stage_id": stage["id"], "delegated": True,
                                  "parent_run_id": parent_id, "root_run_id": parent_id})
        worker["started_at"] = uuidv7(rng, s_start)
        worker["finished_at"] = uuidv7(rng, s_end)
        path = self.root / worker["child_run_path"]
        self._save(child, path)
        self.child_paths.append(path)
        for ev, st in (("WorkerSpawned", "running"), ("WorkerCompleted", "completed")):
            self._emit({"type": "worker_update", "session_id": self._session,
                        "worker_id": worker["id"], "worker_name": worker["name"],
                        "worker_task": worker["task"], "worker_mode": "sub_agent",
                        "event": ev, "status": st,
                        "metadata": {"child_run_path": worker["child_run_path"],
                                     "child_run_id": child_id},
                        "audit": worker.get("audit")})

    def _ask(self, run_id: str, trace_id: str) -> dict[str, Any]:
        ms = _now_ms()
        req = f"hitl_question_{uuidv7(self.rng, ms)}"
        env = {"request_id": req, "kind": "question", "agent": "deployer",
               "trace_id": trace_id, "run_id": run_id, "requested_at": rfc3339(ms),
               "payload": {"prompt": "Roll out to all regions or only eu-west first?",
                           "schema": None, "default": "eu-west", "timeout_ms": 600_000}}
        self._append(HITL_QUESTIONS, "hitl.question_asked", env,
                     {"request_id": req, "trace_id": trace_id, "run_id": run_id})
        self._emit({"type": "hitl_requested", "session_id": self._session, "request_id": req,
                    "kind": "question", "payload": env["payload"]})
        return env

    def _answer(self, question: dict[str, Any]) -> None:
        req = question["request_id"]
        self._append(HITL_QUESTIONS, "hitl.response_received",
                     {"request_id": req, "answer": "eu-west", "reviewer": "demo-user",
                      "responded_at": rfc3339(_now_ms())}, {"request_id": req})
        self._emit({"type": "hitl_resolved", "session_id": self._session, "request_id": req,
                    "kind": "question", "outcome": "answered"})


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
