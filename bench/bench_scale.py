#!/usr/bin/env python3
"""Benchmark: the explorer on a large root (issue #14: 100,000 runs).

The real app (headless, 120x36) opens --root, in a fresh process per measurement:

* cold (empty cache): time to the first rows on screen (the list fills progressively) and
  until every row is in;
* warm (the cache the cold run left): the same, which must be <= 1 s for the list to be
  usable; then keys on the full list (down, page down, end, home: press -> idle) and a
  filter typed into `/` (keystroke -> the narrowed list drawn);
* peak RSS of each process (target <= 500 MB at 100,000 runs).

The floor is the same press -> idle round trip in a bare Textual app, measured in the same run.

    python bench/bench_scale.py --root DIR   # e.g. the corpus bench_index.py --runs 100000 made
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from installed import child_env

CHILD = r'''
import asyncio, json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
MODE, ROOT, CACHE = sys.argv[1], sys.argv[2], sys.argv[3]
SIZE = (120, 36)

async def round_trip(pilot, key):
    start = time.perf_counter()
    await pilot.press(key)
    await pilot.pause()
    return (time.perf_counter() - start) * 1000

async def bare():
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Static
    class Bare(App):
        BINDINGS = [Binding("down", "tick")]
        def compose(self):
            yield Static("bare")
        def action_tick(self):
            self.query_one(Static).update(str(time.perf_counter()))
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        times = [await round_trip(pilot, "down") for _ in range(20)]
    return {"floor_ms": sorted(times)[len(times) // 2]}

async def explorer():
    from harn_tui.app import HarnTuiApp
    from harn_tui.screens.runs import RunsScreen
    from harn_tui.widgets.run_table import RunTable
    app = HarnTuiApp(Path(ROOT), cache_dir=Path(CACHE), watch=False)
    out = {}
    async with app.run_test(size=SIZE) as pilot:
        while not (isinstance(app.screen, RunsScreen) and app.screen.is_mounted):
            await asyncio.sleep(0.002)
        table = app.screen.query_one(RunTable)
        while not table.rows:
            await asyncio.sleep(0.002)
        out["first_rows_s"] = time.perf_counter() - t0
        out["first_rows"] = len(table.rows)
        while not (app.load.scanned and not app.load.note):
            await asyncio.sleep(0.005)
        await pilot.pause()
        out["all_rows_s"] = time.perf_counter() - t0
        out["rows"] = len(table.rows)
        table.focus()
        await pilot.pause()
        keys = {}
        for key in ("down", "pagedown", "end", "home"):
            keys[key] = sorted([await round_trip(pilot, key) for _ in range(5)])[2]
        out["keys_ms"] = keys
        await pilot.press("slash")
        await pilot.pause()
        total = len(table.rows)
        start = time.perf_counter()
        for ch in "review":
            await pilot.press(ch)
        while len(table.rows) == total and time.perf_counter() - start < 30:
            await asyncio.sleep(0.002)
        await pilot.pause()
        out["filter_ms"] = (time.perf_counter() - start) * 1000
        out["filtered_rows"] = len(table.rows)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return out

print(json.dumps(asyncio.run(bare() if MODE == "bare" else explorer())))
'''


def child(mode: str, root: str, cache: str) -> dict:
    env = child_env()
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, root, cache], env=env,
                          capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False)
    if proc.returncode:
        raise SystemExit(f"{mode} run failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    args = parser.parse_args()
    root = str(args.root.resolve())
    cache = tempfile.mkdtemp(prefix="harn-tui-bench-scale-")
    floor = child("bare", root, cache)["floor_ms"]
    print(f"floor: a bare Textual app's key -> idle round trip: {floor:.0f} ms")
    ok = True
    for mode in ("cold", "warm"):
        r = child(mode, root, cache)
        keys = ", ".join(f"{k} {v:.0f} ms ({v / floor:.1f}x)" for k, v in r["keys_ms"].items())
        print(f"{mode}: first {r['first_rows']:,} rows in {r['first_rows_s']:.2f} s, all "
              f"{r['rows']:,} in {r['all_rows_s']:.2f} s; keys: {keys}; filter 'review' -> "
              f"{r['filtered_rows']:,} rows in {r['filter_ms']:.0f} ms; peak RSS {r['rss_mb']} MB")
        if mode == "warm":
            ok = r["all_rows_s"] <= 1.0 and r["rss_mb"] <= 500
    print("targets: warm list usable (every row in) <= 1 s; RSS <= 500 MB:",
          "met" if ok else "missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
