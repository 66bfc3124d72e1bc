#!/usr/bin/env python3
"""Load soak (issue #5, not in CI): the app under a busy writer, headless, with watching on.

A writer rewrites run files atomically (temp file + rename, as harn 0.8.x does) at
`--hz` rewrites per second, round-robin over `--runs` runs (default: 200 runs at 50 Hz,
i.e. each run rewritten every 4 s), and a second writer appends `--events-per-sec` agent
events per second to the SQLite event log; a run detail whose agent session receives those
events stays open. After `--seconds` the writers stop and the app gets a few seconds to
settle. Reported:

* exceptions (app, workers, loop, writer threads): must be 0
* dropped final states: runs whose status/task in `app.runs` differs from disk at the end
* peak RSS and its growth (RSS at the end minus RSS after the first 20% of the run)
* write->app latency: from the rename to `app.runs[rel]` reflecting that write (p50/p95/max)

    python bench/soak.py [--seconds 60] [--runs 200] [--hz 50] [--events-per-sec 100]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import queue as queue_mod
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import orjson

from harn_tui.app import HarnTuiApp
from harn_tui.core.demo.common import agent_events_topic, atomic_write_bytes
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.core.demo.records import make_run
from harn_tui.core.demo.transcripts import agent_event_payload

STATUSES = ("running", "running", "completed", "failed")


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Soak:
    def __init__(self, args: argparse.Namespace, base: Path) -> None:
        self.args = args
        self.root = base / ".harn-runs"
        self.state = base / ".harn"
        self.root.mkdir(parents=True)
        self.errors: list[str] = []
        self.records: dict[str, dict] = {}
        self.pending: dict[str, tuple[str, str, float]] = {}  # rel -> (status, task, written at)
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.writes = 0
        self.events = 0
        self.session = "session_soak"
        rng = random.Random(1)
        for i in range(args.runs):
            rec = make_run(rng, run_id=f"soak-{i:04d}", workflow=f"wf-{i % 7}",
                           started_ms=1_776_945_600_000 + i * 1000, n_stages=2, status="running",
                           ts_format="uuidv7", size_hint_kb=4)
            rec["task"] = "seq 0"
            if i == 0:
                rec["transcript"] = {"_type": "transcript", "version": 2, "id": self.session,
                                     "messages": [], "events": [], "assets": []}
            rel = f"run-{i:04d}.json"
            self.records[rel] = rec
            atomic_write_bytes(self.root / rel, orjson.dumps(rec))
        EventLogWriter(self.state).close()  # create the log before the app opens it
        self.queue: Any = None

    # -- writers (separate processes, as harn is: no GIL shared with the app) ----

    def rewrite_loop(self, stop: Any, queue: Any) -> None:
        try:
            rels = sorted(self.records)
            period = 1.0 / self.args.hz
            n = 0
            next_at = time.perf_counter()
            while not stop.is_set():
                rel = rels[n % len(rels)]
                n += 1
                rec = self.records[rel]
                rec["task"] = f"seq {n}"
                rec["status"] = STATUSES[n % len(STATUSES)]
                atomic_write_bytes(self.root / rel, orjson.dumps(rec))
                # perf_counter is CLOCK_MONOTONIC: comparable across processes on Linux
                queue.put((rel, rec["status"], rec["task"], time.perf_counter()))
                next_at += period
                time.sleep(max(0.0, next_at - time.perf_counter()))
        except Exception:
            queue.put(("!error", "rewrite writer: " + traceback.format_exc(), "", 0.0))

    def event_loop(self, stop: Any, queue: Any) -> None:
        try:
            log = EventLogWriter(self.state)
            topic = agent_events_topic(self.session)
            period = 1.0 / self.args.events_per_sec
            next_at = time.perf_counter()
            i = 0
            while not stop.is_set():
                i += 1
                ms = int(time.time() * 1000)
                event = {"type": "agent_message_chunk", "session_id": self.session,
                         "content": f"chunk {i} "}
                log.append(topic, "agent_message_chunk",
                           agent_event_payload(self.session, event, ms),
                           {"session_id": self.session}, ms)
                next_at += period
                time.sleep(max(0.0, next_at - time.perf_counter()))
            log.close()
            queue.put(("!events", str(i), "", 0.0))
        except Exception:
            queue.put(("!error", "event writer: " + traceback.format_exc(), "", 0.0))

    # -- the app ---------------------------------------------------------------

    async def run(self) -> dict:
        args = self.args
        app = HarnTuiApp(self.root, events=self.state, cache_dir=None, watch=True, poll=args.poll)
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, ctx: self.errors.append(f"loop: {ctx.get('message')} {ctx.get('exception')!r}"))
        rss: list[tuple[float, int]] = []
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.perf_counter() + 120
            while not app.load.ready:
                if time.perf_counter() > deadline:
                    raise SystemExit("the app never finished its first scan")
                await pilot.pause(0.05)
            app.open_path(self.root / "run-0000.json")
            await pilot.pause(0.5)
            await pilot.press("5")  # the replay pane of the run receiving agent events
            ctx = mp.get_context("fork")
            stop, queue = ctx.Event(), ctx.Queue()
            self.queue = queue
            procs = [ctx.Process(target=self.rewrite_loop, args=(stop, queue), daemon=True),
                     ctx.Process(target=self.event_loop, args=(stop, queue), daemon=True)]
            start = time.perf_counter()
            for proc in procs:
                proc.start()
            end = start + args.seconds
            last_rss = 0.0
            while time.perf_counter() < end:
                self._observe(app)
                now = time.perf_counter()
                if now - last_rss >= 1.0:
                    rss.append((now - start, rss_kb()))
                    last_rss = now
                await asyncio.sleep(0.005)
            stop.set()
            for proc in procs:
                proc.join(10)
            self._observe(app)
            settle = time.perf_counter() + args.settle
            while time.perf_counter() < settle and self.pending:
                self._observe(app)
                await asyncio.sleep(0.01)
            dropped = self._dropped(app)
            rss.append((time.perf_counter() - start, rss_kb()))
            if app._exception is not None:
                self.errors.append(f"app: {app._exception!r}")
        warm = [kb for t, kb in rss if t >= args.seconds * 0.2] or [kb for _t, kb in rss]
        lat = sorted(self.latencies)
        return {
            "seconds": args.seconds,
            "runs": args.runs,
            "rewrites": self.writes,
            "rewrites_per_s": round(self.writes / args.seconds, 1),
            "events": self.events,
            "events_per_s": round(self.events / args.seconds, 1),
            "exceptions": len(self.errors),
            "dropped_final_states": len(dropped),
            "dropped_examples": dropped[:5],
            "unobserved_at_end": len(self.pending),
            "rss_peak_mb": round(max(kb for _t, kb in rss) / 1024, 1),
            "rss_growth_mb": round((rss[-1][1] - warm[0]) / 1024, 1),
            "latency_p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
            "latency_p95_ms": round(lat[int(len(lat) * 0.95) - 1] * 1000, 1) if lat else None,
            "latency_max_ms": round(lat[-1] * 1000, 1) if lat else None,
            "latency_samples": len(lat),
            "errors": self.errors[:5],
        }

    def _observe(self, app: HarnTuiApp) -> None:
        while True:
            try:
                rel, status, task, at = self.queue.get_nowait()
            except queue_mod.Empty:
                break
            if rel == "!error":
                self.errors.append(status)
            elif rel == "!events":
                self.events = int(status)
            else:
                self.pending[rel] = (status, task, at)
                self.writes += 1
        now = time.perf_counter()
        with self.lock:
            done = []
            for rel, (status, task, at) in self.pending.items():
                row = app.runs.get(rel)
                if row is not None and row.task == task and row.status == status:
                    self.latencies.append(now - at)
                    done.append(rel)
            for rel in done:
                del self.pending[rel]

    def _dropped(self, app: HarnTuiApp) -> list[str]:
        out = []
        for rel in self.records:
            disk = orjson.loads((self.root / rel).read_bytes())
            row = app.runs.get(rel)
            if row is None or row.status != disk["status"] or row.task != disk["task"]:
                out.append(f"{rel}: app={None if row is None else (row.status, row.task)} "
                           f"disk={(disk['status'], disk['task'])}")
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--hz", type=float, default=50.0, help="run-file rewrites per second")
    parser.add_argument("--events-per-sec", type=float, default=100.0)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to let the app catch up")
    parser.add_argument("--poll", type=float, default=None, help="poll the root instead of inotify")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="harn-tui-soak-"))
    try:
        soak = Soak(args, base)
        result = asyncio.run(soak.run())
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    ok = result["exceptions"] == 0 and result["dropped_final_states"] == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
