"""A background writer that makes a demo run root look alive, with one run that tells the truth.

The live run is planned up front by :func:`make_run` (so it obeys every invariant in
:mod:`harn_tui.core.demo.invariants`), already under way when the demo opens, and then revealed
on schedule in real time the way harn's ``workflow_execute`` writes it: an atomic rewrite
after each stage, agent events, a HITL question midway (answered two stages later), a
child run, model turns appended to the LLM sidecar, and a final rewrite when it completes.
Then the writer stops: the demo holds the corpus plus this run (and its child), no more.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.demo.common import (
    ACTION_GRAPH_TOPIC,
    HITL_QUESTIONS,
    agent_events_topic,
    atomic_write_bytes,
    atomic_write_json,
    rfc3339,
    uuidv7,
)
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.core.demo.records import derive_observability, make_run, sum_usage
from harn_tui.core.demo.transcripts import agent_event_payload, agent_turn, sidecar_lines
from harn_tui.core.format import clock
from harn_tui.core.format.timestamps import parse_ms

HITL_PROMPT = "Roll out to all regions or only eu-west first?"




class LiveDemoWriter:
    """Reveal one planned ``deploy`` run in real time, then stop.

    ``time_scale`` stretches the plan's durations (1.0: minutes, like a real run);
    ``head_start`` stages are already done when the writer starts. Counters
    (``rewrites``, ``events_written``, ``runs_finished``) and ``run_paths`` /
    ``child_paths`` are updated as it goes; with ``keep_states`` every record written is
    kept in ``states`` as ``(path, record)`` (and the sidecar in ``sidecar_states``).
    ``finished`` is set when the run is complete.
    """

    def __init__(
        self,
        root: Path,
        state_dir: Path,
        *,
        seed: int = 0,
        time_scale: float = 0.5,
        event_interval: float = 0.25,
        n_stages: int = 8,
        head_start: int = 2,
        keep_states: bool = False,
    ) -> None:
        self.root = Path(root)
        self.state_dir = Path(state_dir)
        self.seed = seed
        self.time_scale = time_scale
        self.event_interval = event_interval
        self.n_stages = max(n_stages, 3)
        self.head_start = min(max(head_start, 1), self.n_stages - 1)
        self.keep_states = keep_states
        self.rng = random.Random(seed + 1)
        self.rewrites = 0
        self.events_written = 0
        self.runs_finished = 0
        self.run_paths: list[Path] = []
        self.child_paths: list[Path] = []
        self.sidecar_path: Path | None = None
        self.session_id = ""
        self.states: list[tuple[Path, dict[str, Any]]] = []
        #: With ``keep_states``: the LLM sidecar's lines as of each rewrite of the run.
        self.sidecar_states: list[list[dict[str, Any]]] = []
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log: EventLogWriter | None = None
        self._events: Iterator[dict[str, Any]] | None = None
        self._last_event_ms = 0
        self._end_ms = 0

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
        """Block until the run is complete; False on timeout."""
        return self.finished.wait(timeout)

    # ------------------------------------------------------------------ the plan

    def plan(self, now_ms: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        """(run, children, plan) with `head_start` stages finished at `now_ms`."""

        def build(start: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
            rng = random.Random(self.seed)
            session = f"session_{uuidv7(rng, start)}"
            children: list[dict[str, Any]] = []
            plan: dict[str, Any] = {}
            run = make_run(
                rng, run_id=uuidv7(rng, start), workflow="deploy", started_ms=start,
                n_stages=self.n_stages, status="completed", ts_format="uuidv7",
                with_children=1, session_ids=[session], time_scale=self.time_scale,
                child_specs=[{"workflow": "research", "n_stages": 3, "status": "completed"}],
                children_out=children, plan_out=plan)
            return run, children, plan

        _run, _children, probe = build(0)
        done_at = probe["stage_times"][self.head_start - 1][1]
        return build(now_ms - done_at - 1)

    # ------------------------------------------------------------------ internals

    def _main(self) -> None:
        try:
            self._log = EventLogWriter(self.state_dir, "sqlite")
            self._run()
        except BaseException as exc:  # surfaced to tests via .error
            self.error = exc
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
            self.finished.set()

    def _append(self, topic: str, kind: str, payload: Any, headers: dict[str, str], ms: int) -> None:
        assert self._log is not None
        self._log.append(topic, kind, payload, headers, ms)

    def _event_ms(self) -> int:
        """Now, but never past the run's planned end nor before the previous event."""
        ms = min(clock.now_ms(), self._end_ms - 1)
        self._last_event_ms = max(ms, self._last_event_ms)
        return self._last_event_ms

    def _emit(self, ev: dict[str, Any] | None = None) -> None:
        if ev is None:
            assert self._events is not None
            ev = next(self._events)
        ms = self._event_ms()
        self._append(agent_events_topic(self.session_id), ev["type"],
                     agent_event_payload(self.session_id, ev, ms),
                     {"session_id": self.session_id}, ms)
        self.events_written += 1

    def _event_stream(self) -> Iterator[dict[str, Any]]:
        iteration = 0
        while True:
            iteration += 1
            for ev, _delay in agent_turn(self.rng, self.session_id, iteration,
                                         fail_tool=iteration % 5 == 0, chunks=6):
                yield ev

    def _until(self, at_ms: int) -> None:
        """Emit agent events every `event_interval` until the wall clock reaches `at_ms`."""
        while not self._stop.is_set():
            remaining = (at_ms - clock.now_ms()) / 1000
            if remaining <= 0:
                return
            self._emit()
            self._stop.wait(min(self.event_interval, remaining))

    def _save(self, record: dict[str, Any], path: Path, ms: int) -> None:
        rel = f".harn-runs/{path.relative_to(self.root).as_posix()}"
        record["persisted_path"] = rel
        record["observability"] = derive_observability(record, rel)
        atomic_write_json(path, record)
        self.rewrites += 1
        if self.keep_states:
            self.states.append((path, copy.deepcopy(record)))
        meta = record.get("metadata") or {}
        self._append(ACTION_GRAPH_TOPIC, "action_graph_update",
                     {"run_id": record["id"], "workflow_id": record["workflow_id"],
                      "persisted_path": rel, "status": record["status"],
                      "observability": record["observability"]},
                     {"run_id": record["id"], "workflow_id": record["workflow_id"],
                      "trace_id": meta.get("trace_id", "")}, ms)

    def _write_sidecar(self, lines: list[dict[str, Any]], upto_ms: int) -> None:
        assert self.sidecar_path is not None
        shown = [x for x in lines if (parse_ms(x["timestamp"]) or 0) <= upto_ms]
        data = b"".join(orjson.dumps(x) + b"\n" for x in shown)
        atomic_write_bytes(self.sidecar_path, data)
        if self.keep_states:
            self.sidecar_states.append(copy.deepcopy(shown))

    def _run(self) -> None:
        run, children, plan = self.plan(clock.now_ms())
        self.session_id = run["metadata"]["mutation_session"]["session_id"]
        self._events = self._event_stream()
        self._end_ms = plan["end_ms"]
        start = parse_ms(run["started_at"]) or 0
        self._last_event_ms = start
        path = self.root / f"{uuidv7(self.rng, start + 1)}.json"
        self.run_paths.append(path)
        self.sidecar_path = path.parent / f"{path.stem}-llm" / "llm_transcript.jsonl"
        lines = sidecar_lines(self.rng, start, calls=plan["calls"], task=run["task"])
        stage_times: list[tuple[int, int]] = plan["stage_times"]
        n = len(stage_times)
        ask_k = n // 2 - 1 if n // 2 - 1 >= self.head_start else self.head_start
        answer_k = min(ask_k + 2, n - 1)
        ask_ms = (stage_times[ask_k][0] + stage_times[ask_k][1]) // 2
        answer_ms = (stage_times[answer_k][0] + stage_times[answer_k][1]) // 2
        question = self._question(run, ask_ms)
        child_stage = next((i for i, s in enumerate(run["stages"])
                            if (s.get("metadata") or {}).get("worker")), None)
        actions: list[tuple[int, int, Callable[[], None]]] = []
        for k in range(self.head_start, n):
            actions.append((stage_times[k][1], 2, lambda k=k: self._reveal(run, children, k, question, path, lines)))
        actions.append((ask_ms, 0, lambda: self._ask(question, run)))
        actions.append((answer_ms, 1, lambda: self._answer(question)))
        if child_stage is not None:
            worker = run["stages"][child_stage]["metadata"]["worker"]
            for label, when in (("WorkerSpawned", worker["started_at"]),
                                ("WorkerCompleted", worker["finished_at"])):
                actions.append((parse_ms(when) or start, 0,
                                lambda label=label, worker=worker: self._worker_event(worker, label)))
        actions.append((plan["end_ms"], 3, lambda: self._finish(run, question, path, lines)))
        # the stages already done when the demo opens
        self._emit({"type": "turn_start", "session_id": self.session_id, "iteration": 0})
        past = [a for a in actions if a[0] <= clock.now_ms() and a[1] != 2]
        for _at, _order, act in sorted(past, key=lambda a: (a[0], a[1])):
            act()
        self._reveal(run, children, self.head_start - 1, question, path, lines)
        for at, _order, act in sorted((a for a in actions if a not in past), key=lambda a: (a[0], a[1])):
            self._until(at)
            if self._stop.is_set():
                return
            act()

    def _state(self, run: dict[str, Any], k: int, question: dict[str, Any]) -> dict[str, Any]:
        """The record as Harn saves it right after stage `k` (0-based) finished."""
        rec = copy.deepcopy(run)
        stages = rec["stages"][: k + 1]
        produced = {a for s in stages for a in s["produced_artifact_ids"]}
        stage_ids = {s["id"] for s in stages}
        nxt = run["stages"][k + 1]["node_id"] if k + 1 < len(run["stages"]) else None
        rec.update(
            status="running", finished_at=None, stages=stages,
            transitions=rec["transitions"][: k + 1],
            checkpoints=rec["checkpoints"][: k + 2],
            completed_nodes=list(dict.fromkeys(s["node_id"] for s in stages)),
            pending_nodes=[nxt] if nxt else [],
            artifacts=[a for a in rec["artifacts"] if a["id"] in produced],
            child_runs=[c for c in rec["child_runs"] if c.get("parent_stage_id") in stage_ids],
            usage=sum_usage([s["usage"] for s in stages]), transcript=None,
            trace_spans=[], tool_recordings=[], replay_fixture=None, handoffs=[],
            hitl_questions=self._asked(question, parse_ms(stages[-1]["finished_at"]) or 0),
        )
        return rec

    def _asked(self, question: dict[str, Any], upto_ms: int) -> list[dict[str, Any]]:
        if (parse_ms(question["requested_at"]) or 0) > upto_ms:
            return []
        return [{"request_id": question["request_id"], "prompt": question["payload"]["prompt"],
                 "agent": question["agent"], "trace_id": question["trace_id"],
                 "asked_at": question["requested_at"]}]

    def _reveal(self, run: dict[str, Any], children: list[dict[str, Any]], k: int,
                question: dict[str, Any], path: Path, lines: list[dict[str, Any]]) -> None:
        stage = run["stages"][k]
        end = parse_ms(stage["finished_at"]) or 0
        worker = (stage.get("metadata") or {}).get("worker")
        if isinstance(worker, dict):
            child = next(c for c in children if c["id"] == worker["child_run_id"])
            child_path = self.root / worker["child_run_path"]
            self._save(copy.deepcopy(child), child_path, end)
            self.child_paths.append(child_path)
        self._write_sidecar(lines, end)
        self._save(self._state(run, k, question), path, end)

    def _finish(self, run: dict[str, Any], question: dict[str, Any], path: Path,
                lines: list[dict[str, Any]]) -> None:
        rec = copy.deepcopy(run)
        rec["hitl_questions"] = self._asked(question, self._end_ms)
        self._write_sidecar(lines, self._end_ms + 1)
        self._emit({"type": "budget_exhausted", "session_id": self.session_id,
                    "max_iterations": 32})
        self._save(rec, path, self._end_ms)
        self.runs_finished += 1

    def _question(self, run: dict[str, Any], ms: int) -> dict[str, Any]:
        trace_id = run["metadata"]["trace_id"]
        return {"request_id": f"hitl_question_{uuidv7(self.rng, ms)}", "kind": "question",
                "agent": "deployer", "trace_id": trace_id, "run_id": run["id"],
                "requested_at": rfc3339(ms),
                "payload": {"prompt": HITL_PROMPT, "schema": None, "default": "eu-west",
                            "timeout_ms": 600_000}}

    def _ask(self, question: dict[str, Any], run: dict[str, Any]) -> None:
        ms = parse_ms(question["requested_at"]) or clock.now_ms()
        self._append(HITL_QUESTIONS, "hitl.question_asked", question,
                     {"request_id": question["request_id"], "trace_id": question["trace_id"],
                      "run_id": run["id"]}, ms)
        self._emit({"type": "hitl_requested", "session_id": self.session_id,
                    "request_id": question["request_id"], "kind": "question",
                    "payload": question["payload"]})

    def _answer(self, question: dict[str, Any]) -> None:
        req = question["request_id"]
        ms = max(self._event_ms(), (parse_ms(question["requested_at"]) or 0) + 1)
        self._append(HITL_QUESTIONS, "hitl.response_received",
                     {"request_id": req, "answer": "eu-west", "reviewer": "demo-user",
                      "responded_at": rfc3339(ms)}, {"request_id": req}, ms)
        self._emit({"type": "hitl_resolved", "session_id": self.session_id, "request_id": req,
                    "kind": "question", "outcome": "answered"})

    def _worker_event(self, worker: dict[str, Any], event: str) -> None:
        self._emit({"type": "worker_update", "session_id": self.session_id,
                    "worker_id": worker["id"], "worker_name": worker["name"],
                    "worker_task": worker["task"], "worker_mode": "sub_agent",
                    "event": event, "status": "running" if event == "WorkerSpawned" else "completed",
                    "metadata": {"child_run_path": worker["child_run_path"],
                                 "child_run_id": worker["child_run_id"]},
                    "audit": worker.get("audit")})
