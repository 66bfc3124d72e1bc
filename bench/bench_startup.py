#!/usr/bin/env python3
"""Benchmark: start-up cost, as ratios to floors measured in the same run.

* `import harn_tui.cli` (what `ls`/`show` pay) vs a bare `python -c pass`;
* time to first paint of the explorer (headless, 120x36) on a root of --runs run files,
  vs the first paint of an empty Textual app: first paint must not wait for indexing;
* time until every row has streamed in.

    python bench/bench_startup.py [--runs 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from installed import child_env

PAINT = r'''
import asyncio, sys, time
t0 = time.perf_counter()
KIND = sys.argv[1]
if KIND == "empty":
    from textual.app import App
    from textual.widgets import Static
    class Empty(App):
        def compose(self):
            yield Static("hello")
    app = Empty()
else:
    from harn_tui.app import HarnTuiApp
    app = HarnTuiApp(__import__("pathlib").Path(sys.argv[2]), cache_dir=None, watch=False)
async def main():
    async with app.run_test(size=(120, 36)) as pilot:
        if KIND == "empty":
            await pilot.pause()
        else:
            from harn_tui.screens.runs import RunsScreen
            while not (isinstance(app.screen, RunsScreen) and app.screen.is_mounted
                       and app.screen.table.size.height):
                await asyncio.sleep(0.002)
        first = time.perf_counter() - t0
        full = first
        if KIND != "empty":
            while not (app.load.scanned and not app.load.indexing):
                await pilot.pause(0.01)
            full = time.perf_counter() - t0
        print(first, full)
asyncio.run(main())
'''


def timed(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, env=env, capture_output=True)
    return time.perf_counter() - t0


def paint(kind: str, root: str, env: dict[str, str]) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", PAINT, kind, root], check=True, env=env,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = child_env(HARN_TUI_CACHE_DIR=tempfile.mkdtemp(prefix="harn-tui-bench-cache-"))
    with tempfile.TemporaryDirectory() as tmp:
        from harn_tui.core.demo.corpus import write_bench_root

        root = Path(tmp) / "runs"
        root.mkdir()
        write_bench_root(root, args.runs, seed=3, min_kb=20, max_kb=60)
        bare, cli, empty, first, full = [], [], [], [], []
        for _ in range(args.repeat):
            bare.append(timed([sys.executable, "-c", "pass"], env))
            cli.append(timed([sys.executable, "-c", "import harn_tui.cli"], env))
            empty.append(paint("empty", "", env)[0])
            f, a = paint("app", str(root), env)
            first.append(f)
            full.append(a)
    b, c, e, f, a = (min(x) for x in (bare, cli, empty, first, full))
    print(f"python -c pass:            {b * 1000:6.0f} ms")
    print(f"import harn_tui.cli:       {c * 1000:6.0f} ms  = {c / b:.2f}x bare python (headless commands never import Textual)")
    print(f"empty Textual app paint:   {e * 1000:6.0f} ms")
    print(f"harn-tui first paint:      {f * 1000:6.0f} ms  = {f / e:.2f}x an empty Textual app ({args.runs} runs, cold cache)")
    print(f"all {args.runs} rows streamed in: {a * 1000:6.0f} ms  = {a / e:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
