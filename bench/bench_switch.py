#!/usr/bin/env python3
"""Benchmark: switching panes and screens (1-8, Tab, Enter, Esc) with the real app, headless.

Each key is timed from the press until the app is idle again (the key handled, the new
content laid out and rendered: Pilot's own wait), and compared with a floor measured in the
same run: the same key round-trip in a bare Textual app that swaps two Statics in a
ContentSwitcher. Target: new content drawn within 100 ms of the key.

Panes are timed on their first visit (a lazy pane builds then) and on later visits.

    python bench/bench_switch.py [--runs 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

SIZE = (120, 36)
TARGET_MS = 100.0


async def timed_press(pilot, key: str) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    await pilot.press(key)
    await pilot.pause()
    return (time.perf_counter() - start) * 1000


async def floor(rounds: int) -> float:
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import ContentSwitcher, Static

    class Bare(App[None]):
        BINDINGS = [Binding("x", "swap")]

        def compose(self) -> ComposeResult:
            with ContentSwitcher(initial="a"):
                yield Static("a " * 500, id="a")
                yield Static("b " * 500, id="b")

        def action_swap(self) -> None:
            switcher = self.query_one(ContentSwitcher)
            switcher.current = "b" if switcher.current == "a" else "a"

    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        times = [await timed_press(pilot, "x") for _ in range(8 * rounds)]
    return statistics.median(times)


async def explorer(root: Path, rounds: int) -> dict[str, list[float]]:
    from harn_tui.app import HarnTuiApp
    from harn_tui.screens.run import RunScreen

    out: dict[str, list[float]] = {}
    app = HarnTuiApp(root, cache_dir=None, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        while not (app.load.scanned and not app.load.indexing):
            await pilot.pause(0.02)
        await pilot.pause(0.3)
        for _ in range(rounds):
            start = time.perf_counter()
            await pilot.press("enter")
            while not (isinstance(app.screen, RunScreen) and app.screen.detail is not None):
                await asyncio.sleep(0.001)
            await pilot.pause()
            out.setdefault("Enter (open run, loaded)", []).append((time.perf_counter() - start) * 1000)
            first = "first" not in out
            out.setdefault("first", [])
            for key in "12345678":
                label = f"{key} (first visit)" if first else f"{key}"
                out.setdefault(label, []).append(await timed_press(pilot, key))
            for _ in range(8):
                out.setdefault("Tab", []).append(await timed_press(pilot, "tab"))
            out.setdefault("Esc (back to list)", []).append(await timed_press(pilot, "escape"))
            await pilot.press("down")
    out.pop("first")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from harn_tui.core.demo.corpus import write_bench_root

    root = Path(tempfile.mkdtemp(prefix="harn-tui-switch-"))
    write_bench_root(root, args.runs, seed=11)
    base = asyncio.run(floor(args.rounds))
    results = asyncio.run(explorer(root, args.rounds))
    print(f"floor: a bare Textual app's key round-trip (ContentSwitcher swap): {base:.1f} ms")
    print(f"{'key':<28} {'median ms':>10} {'max ms':>8} {'x floor':>8}")
    worst = 0.0
    for label, times in results.items():
        med, top = statistics.median(times), max(times)
        worst = max(worst, med)
        print(f"{label:<28} {med:>10.1f} {top:>8.1f} {med / base:>8.1f}")
    ok = worst <= TARGET_MS
    print(f"RESULT: {'all medians within' if ok else 'a median above'} {TARGET_MS:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
