#!/usr/bin/env python3
"""Benchmark: the cost report over 100,000 run summaries, as a ratio to a floor.

The report reads only the summaries' `usage.llm` rows (no run file), so the `$` screen and
`harn-tui costs` redraw a 100k-run root quickly. The floor is the tightest Python loop over
the same rows (summing one number per row), measured in the same run; the report also
groups by day, workflow, model and provider and counts runs per group (target: <= 25x floor,
about a second for 100k runs on this machine).

    python bench/bench_costs.py [--runs 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import time

from harn_tui.core.analysis.costs import build_cost_report
from harn_tui.core.index.summary import RunSummary

NOW_MS = 1_790_000_000_000
WORKFLOWS = ("deploy", "review-pr", "triage", "release", "verify-build", "docs")
MODELS = (("anthropic", "claude-sonnet-4"), ("anthropic", "claude-haiku-4-5"), ("openai", "gpt-5"),
          ("openai", "gpt-5-mini"), ("local", "qwen"))


def make_runs(n: int, seed: int = 7) -> list[RunSummary]:
    rnd = random.Random(seed)
    runs = []
    for i in range(n):
        started = NOW_MS - rnd.randrange(0, 60 * 86_400_000)
        rows = [[p, m, rnd.randint(1, 9), rnd.randint(1_000, 90_000), rnd.randint(100, 9_000), rnd.random()]
                for p, m in rnd.sample(MODELS, rnd.randint(0, 3))]
        runs.append(RunSummary(
            path=f"runs/run-{i:06d}.json", id=f"run-{i:06d}", workflow_name=rnd.choice(WORKFLOWS),
            started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started / 1000)), started_at_ms=started,
            usage={"input_tokens": 0, "output_tokens": 0, "call_count": 0, "models": [], "total_cost": 0.0,
                   "llm": rows},
        ))
    return runs


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = make_runs(args.runs)

    def floor() -> float:
        total = 0.0
        for s in runs:
            for row in s.usage["llm"]:
                total += row[5]
        return total

    base = best(floor, args.repeat)
    report_t = best(lambda: build_cost_report(runs), args.repeat)
    report = build_cost_report(runs)
    assert abs(report.summary.cost_usd - floor()) < 1e-6 * max(floor(), 1)
    print(f"runs: {args.runs:,}  days: {len(report.days())}  floor: {base * 1000:.1f} ms")
    print(f"cost report: {report_t * 1000:.1f} ms  = {report_t / base:.1f}x floor  (target <= 25x; best of {args.repeat})")


if __name__ == "__main__":
    main()
