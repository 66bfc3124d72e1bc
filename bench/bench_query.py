#!/usr/bin/env python3
"""Benchmark: the query bar over 100,000 run summaries, as a ratio to a floor.

The floor is the tightest Python filter over the same list reading one attribute
(`[s for s in runs if s.status_group == "failed"]`), measured in the same run.
The query is evaluated on `RunSummary` rows only, so it costs a small multiple
of that floor (target: the compound query <= 10x floor, i.e. it redraws a
100k-run list well inside a keystroke).

    python bench/bench_query.py [--runs 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from harn_tui.core.analysis.query import filter_runs, parse_query
from harn_tui.core.format.derive import status_group
from harn_tui.core.index.summary import RunSummary

NOW_MS = 1_790_000_000_000
COMPOUND = "status=failed workflow=deploy tokens>50k hitl>0 model~sonnet skill=review since=2h"
OTHERS = (
    "tokens>50k",
    "status=failed",
    "model~sonnet",
    'task~"release notes"',
    "verify",
    "workflow~dep duration>5m started>=2026-09-01 broken=false",
)

WORKFLOWS = ("deploy", "review-pr", "triage", "release", "verify-build", "docs")
STATUSES = ("completed", "failed", "running", "cancelled", "paused", "error", "verified")
MODELS = ("claude-sonnet-4", "claude-opus-4", "gpt-5", "claude-haiku-4", "local/qwen")
SKILLS = ("review", "deploy", "search", "summarize")


def make_runs(n: int, seed: int = 11) -> list[RunSummary]:
    rnd = random.Random(seed)
    runs = []
    for i in range(n):
        status = rnd.choice(STATUSES)
        started = NOW_MS - rnd.randrange(0, 14 * 86_400_000)
        models = rnd.sample(MODELS, rnd.randint(0, 2))
        runs.append(
            RunSummary(
                path=f"runs/{i // 1000:03d}/run-{i:06d}.json",
                id=f"run-{i:06d}",
                workflow_id=f"wf-{i % 50}",
                workflow_name=rnd.choice(WORKFLOWS),
                status=status,
                started_at_ms=started,
                duration_ms=rnd.randrange(1_000, 3_600_000),
                stage_count=rnd.randint(1, 12),
                child_run_count=rnd.randint(0, 3),
                hitl_question_count=rnd.choice((0, 0, 0, 1, 2)),
                failure="tool call failed" if status == "failed" else None,
                usage={
                    "input_tokens": rnd.randrange(0, 200_000),
                    "output_tokens": rnd.randrange(0, 40_000),
                    "call_count": rnd.randint(0, 40),
                    "models": models,
                    "total_cost": rnd.random() * 3,
                },
                status_group=status_group(status),
                last_node_id=rnd.choice(("plan", "act", "verify", None)),
                task=rnd.choice(("write the release notes", "fix the build", "review PR 42")),
                skills=rnd.sample(SKILLS, rnd.randint(0, 2)),
            )
        )
    return runs


def paired(floor, fn, repeat: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """(best floor s, best fn s, median ratio), timing the two alternately so a
    noisy machine slows both alike."""
    floors, times, ratios = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        floor()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        floors.append(t1 - t0)
        times.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    return min(floors), min(times), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    runs = make_runs(args.runs)

    def floor() -> list[RunSummary]:
        return [s for s in runs if s.status_group == "failed"]

    print(f"{len(runs):,} summaries; floor = one-attribute filter over the same list")
    for text in (*OTHERS, COMPOUND):
        query = parse_query(text)
        hits = len(filter_runs(runs, query, NOW_MS))
        floor_s, t, ratio = paired(floor, lambda q=query: filter_runs(runs, q, NOW_MS), args.repeat)
        print(f"  {t * 1000:7.1f} ms  {ratio:5.1f}x floor ({floor_s * 1000:.1f} ms)  {hits:>6} hits  {text}")
    t0 = time.perf_counter()
    for _ in range(100):
        parse_query(COMPOUND).predicate(NOW_MS)
    print(f"parse + compile the compound query: {(time.perf_counter() - t0) * 1e4:.0f} µs")
    query = parse_query(COMPOUND)
    floor_s, t, ratio = paired(floor, lambda: filter_runs(runs, query, NOW_MS), args.repeat)
    print(f"RATIO compound/floor = {ratio:.2f}x ({t * 1000:.1f} ms vs {floor_s * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
