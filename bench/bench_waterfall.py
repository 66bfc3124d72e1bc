#!/usr/bin/env python3
"""Benchmark: the Waterfall pane on a run with 50,000 trace spans, as ratios to a floor.

The floor is sorting the run's 50,000 span dicts by `start_ms` (the least any waterfall
must do), measured in the same run. Reported: `build_waterfall` (tree, cycle check,
usage, heat maxima) and rendering one screenful (every visible line, as the compositor
asks for it) at the top and at the bottom of the list, each as a ratio to the floor.

    python bench/bench_waterfall.py [--spans 50000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harn_tui.core.analysis.waterfall import build_waterfall
from harn_tui.core.format import schema as S

TOOLS = ("read_file", "search_code", "run_command", "edit_file", "list_dir", "fetch_url")
KINDS = ("fn_call", "import", "parallel", "spawn", "model_route")


def make_run(n: int, seed: int = 7) -> dict[str, Any]:
    """A normalized run: 20 stages, a pipeline span, llm calls with tools and nested helpers."""
    rng = random.Random(seed)
    spans: list[dict[str, Any]] = [{"span_id": 1, "parent_span_id": None, "kind": "pipeline",
                                    "name": "bench", "start_ms": 0, "duration_ms": 0, "metadata": {}}]
    clock, sid = 5, 1
    llm = 1
    while len(spans) < n:
        sid += 1
        roll = rng.random()
        if roll < 0.4:
            llm = sid
            d = rng.randint(200, 9000)
            spans.append({"span_id": sid, "parent_span_id": 1, "kind": "llm_call", "name": "stage:llm_call",
                          "start_ms": clock, "duration_ms": d, "metadata": {
                              "model": "claude-sonnet-4", "provider": "anthropic",
                              "input_tokens": rng.randint(500, 40_000), "output_tokens": rng.randint(50, 4000),
                              "cost_usd": round(rng.random() / 10, 6)}})
        elif roll < 0.8:
            d = rng.randint(5, 3000)
            tool = rng.choice(TOOLS)
            spans.append({"span_id": sid, "parent_span_id": llm, "kind": "tool_call", "name": tool,
                          "start_ms": clock, "duration_ms": d, "metadata": {"tool_name": tool}})
        else:
            d = rng.randint(1, 500)
            spans.append({"span_id": sid, "parent_id": rng.choice((llm, sid - 1, 1)),
                          "kind": rng.choice(KINDS), "name": f"fn_{sid}", "start_ms": clock,
                          "duration_ms": d, "metadata": {}})
        clock += rng.randint(0, d)
    spans[0]["duration_ms"] = clock + 10
    base = 1_776_816_000_000
    stages = []
    step = clock // 20
    for i in range(20):
        stages.append({"id": f"st{i}", "node_id": f"node{i}", "kind": "stage", "status": "completed",
                       "started_at": f"{(base + i * step) / 1000:.3f}",
                       "finished_at": f"{(base + (i + 1) * step) / 1000:.3f}",
                       "usage": {"input_tokens": rng.randint(0, 90_000), "output_tokens": 10,
                                 "total_duration_ms": step, "call_count": 3, "total_cost": 0.1}})
    raw = {"_type": "run_record", "id": "bench", "workflow_id": "bench", "status": "completed",
           "started_at": f"{base / 1000:.3f}", "stages": stages, "trace_spans": spans}
    return S.fill(raw, S.RUN)


class Detail:
    """The part of RunDetail the waterfall reads."""

    def __init__(self, normalized: dict[str, Any]) -> None:
        self.normalized = normalized


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


async def render_screenful(detail: Detail, repeat: int) -> tuple[float, float, float, int]:
    """(show() seconds, top screenful, bottom screenful, visible lines) in a headless app."""
    from textual.app import App, ComposeResult

    from harn_tui.widgets.panes.waterfall import WaterfallPane

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield WaterfallPane(id="waterfall")

    app = Host()
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one(WaterfallPane)
        t0 = time.perf_counter()
        pane.show(detail)  # type: ignore[arg-type]
        shown = time.perf_counter() - t0
        await pilot.pause()
        target = pane.list
        height = target.scrollable_content_region.height

        def screenful() -> None:
            target._grid_key = None  # nothing cached between runs
            for y in range(height):
                target.render_line(y)

        top = best(screenful, repeat)
        target.cursor = target.count - 1
        await pilot.pause()
        bottom = best(screenful, repeat)
    return shown, top, bottom, height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    run = make_run(args.spans)
    spans = run["trace_spans"]
    detail = Detail(run)
    floor = best(lambda: sorted(spans, key=lambda s: s["start_ms"]), args.repeat)
    builds = []
    for _ in range(args.repeat):
        gc.collect()
        t0 = time.perf_counter()
        wf = build_waterfall(detail)
        builds.append(time.perf_counter() - t0)
    build = min(builds)
    assert len(wf.rows) == len(spans) + len(run["stages"]) + 2
    shown, top, bottom, height = asyncio.run(render_screenful(detail, args.repeat))

    print(f"{len(spans):,} spans + {len(run['stages'])} stages -> {len(wf.rows):,} rows")
    print(f"floor (sort {len(spans):,} spans by start_ms): {floor * 1000:.1f} ms")
    print(f"build_waterfall: {build * 1000:.0f} ms (median {statistics.median(builds) * 1000:.0f} ms)"
          f" = {build / floor:.1f}x floor")
    print(f"pane.show (build + list update): {shown * 1000:.0f} ms = {shown / floor:.1f}x floor")
    print(f"render one screenful ({height} lines): top {top * 1000:.1f} ms = {top / floor:.2f}x floor, "
          f"bottom {bottom * 1000:.1f} ms = {bottom / floor:.2f}x floor")
    print(f"build + screenful: {(build + top) / floor:.1f}x floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
