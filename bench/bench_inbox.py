#!/usr/bin/env python3
"""Benchmark: building the HITL inbox over thousands of runs, as a ratio to a floor.

The corpus: `--runs` realistic run files (a quarter hold HITL questions), and an
SQLite event log with a question per run that has one (half answered, some timed
out), an approval per tenth run and questions for runs that are not in the root.

The floor is the irreducible work, measured in the same run: read and orjson-parse
every run file that holds questions, and read every row of the HITL topics once.
`build_inbox` should stay within ~1.5x of it; `filter_inbox` over the result is
reported in ms (it runs on every keystroke of the `/` filter).

    python bench/bench_inbox.py [--runs 4000] [--corpus DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import orjson

from harn_tui.core.analysis.inbox import build_inbox, filter_inbox
from harn_tui.core.demo.common import BASE_MS, rfc3339, uuidv7
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.core.demo.records import make_run
from harn_tui.core.eventlog.hitl import HITL_TOPICS
from harn_tui.core.eventlog.opener import open_event_log
from harn_tui.core.index.run_index import RunIndex


def ensure_corpus(path: Path, n: int) -> Path:
    marker = path / f".complete-{n}"
    if marker.exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    root = path / ".harn-runs"
    root.mkdir(parents=True)
    t0 = time.perf_counter()
    rng = random.Random(11)
    log = EventLogWriter(path / ".harn")
    for i in range(n):
        ms = BASE_MS - i * 97_000
        run_id = uuidv7(rng, ms)
        asks = i % 4 == 0
        rec = make_run(rng, run_id=run_id, workflow=("deploy", "review", "triage")[i % 3],
                       started_ms=ms, n_stages=rng.randint(2, 4),
                       status=rng.choice(["completed", "failed", "paused"]), ts_format="rfc3339",
                       size_hint_kb=rng.uniform(10, 60), hitl=2 if asks else 0)
        (root / f"{run_id}.json").write_bytes(orjson.dumps(rec))
        if asks:
            q = rec["hitl_questions"][0]
            env = {"request_id": q["request_id"], "kind": "question", "agent": "planner",
                   "trace_id": q["trace_id"], "run_id": run_id, "requested_at": q["asked_at"],
                   "payload": {"prompt": q["prompt"], "timeout_ms": 600_000}}
            log.append("hitl.questions", "hitl.question_asked", env,
                       {"request_id": q["request_id"], "run_id": run_id}, ms + 1000)
            if i % 8 == 0:
                log.append("hitl.questions", "hitl.response_received",
                           {"request_id": q["request_id"], "answer": "yes",
                            "responded_at": rfc3339(ms + 5000)}, {"request_id": q["request_id"]}, ms + 5000)
            elif i % 12 == 0:
                log.append("hitl.questions", "hitl.timeout",
                           {"request_id": q["request_id"], "timed_out_at": rfc3339(ms + 9000)},
                           {"request_id": q["request_id"]}, ms + 9000)
        if i % 10 == 0:
            ap = f"hitl_approval_{uuidv7(rng, ms + 2000)}"
            log.append("hitl.approvals", "hitl.approval_requested",
                       {"request_id": ap, "kind": "approval", "agent": "deploy", "trace_id": "t",
                        "run_id": run_id, "requested_at": rfc3339(ms + 2000),
                        "payload": {"action": "deploy", "args": {"n": i}}},
                       {"request_id": ap, "run_id": run_id}, ms + 2000)
        if i % 40 == 0:
            qx = f"hitl_question_{uuidv7(rng, ms + 3000)}"
            log.append("hitl.questions", "hitl.question_asked",
                       {"request_id": qx, "kind": "question", "agent": "planner", "trace_id": "tx",
                        "run_id": f"elsewhere-{i}", "requested_at": rfc3339(ms + 3000),
                        "payload": {"prompt": "Which region?"}},
                       {"request_id": qx, "run_id": f"elsewhere-{i}"}, ms + 3000)
    log.close()
    marker.write_text("ok")
    print(f"generated {n} runs + event log in {time.perf_counter() - t0:.1f}s at {path}")
    return path


def floor(root: Path, paths: list[str], log_path: Path) -> float:
    """Read and parse the run files with questions; read every HITL row once."""
    t0 = time.perf_counter()
    for rel in paths:
        with open(root / rel, "rb") as handle:
            orjson.loads(handle.read())
    log = open_event_log("sqlite", log_path)
    try:
        for topic in HITL_TOPICS:
            for _event in log.iter_topic(topic):
                pass
    finally:
        log.close()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "harn-tui-bench-inbox")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    base = ensure_corpus(args.corpus, args.runs)
    root, log_path = base / ".harn-runs", base / ".harn" / "events.sqlite"
    with tempfile.TemporaryDirectory() as cache:
        runs = RunIndex(root, cache_dir=Path(cache)).scan()
    with_questions = [r.path for r in runs if r.hitl_request_ids]

    floors, builds, filters = [], [], []
    items = []
    for _ in range(args.repeat):
        floors.append(floor(root, with_questions, log_path))
        t0 = time.perf_counter()
        log = open_event_log("sqlite", log_path)
        try:
            items = build_inbox(runs, root, log)
        finally:
            log.close()
        builds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        filter_inbox(items, "pending", "deploy region")
        filters.append(time.perf_counter() - t0)

    best_floor, best_build = min(floors), min(builds)
    ratio = best_build / best_floor
    print(f"runs {len(runs)}  with questions {len(with_questions)}  inbox items {len(items)}")
    print(f"floor (parse question files + read HITL topics): {best_floor * 1000:.0f} ms")
    print(f"build_inbox: {best_build * 1000:.0f} ms  = {ratio:.2f}x floor (target <= 1.5x)")
    print(f"filter_inbox (pending + 2 words): {min(filters) * 1000:.1f} ms")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
