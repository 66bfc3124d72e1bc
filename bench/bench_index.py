#!/usr/bin/env python3
"""Benchmark: `harn-tui ls --json` on 10,000 realistic run files, as ratios to a floor.

The floor is the tightest loop that reads and orjson-parses every file (one core),
measured in the same run. Targets (issue #2): cold <= 1.0x floor (both cores may be
used), warm <= 0.1x floor (whole process, start-up included), peak RSS <= 200 MB
(400 MB above 10,000 runs: issue #14's 100,000-run target).

    python bench/bench_index.py [--runs 10000] [--corpus DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson
from installed import child_env, run_measured


def ensure_corpus(path: Path, n: int) -> Path:
    marker = path / f".complete-{n}"
    if marker.exists():
        return path
    from harn_tui.core.demo.corpus import write_bench_root

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    t0 = time.perf_counter()
    write_bench_root(path, n, seed=7)
    marker.write_text("ok")
    print(f"generated {n} runs in {time.perf_counter() - t0:.1f}s at {path}")
    return path


def floor(root: Path) -> float:
    """Read and parse every run file in one tight loop."""
    files = [Path(d) / f for d, _, fs in os.walk(root) for f in fs if f.endswith(".json") and not f.startswith(".")]
    t0 = time.perf_counter()
    for f in files:
        with open(f, "rb") as handle:
            orjson.loads(handle.read())
    return time.perf_counter() - t0


def run_ls(root: Path, cache: Path, binary: str) -> tuple[float, int, int]:
    """(seconds, peak RSS in MB of that process, rows) for one real
    `harn-tui ls --json` (the console script: start-up and exit included)."""
    env = child_env(HARN_TUI_CACHE_DIR=str(cache))
    elapsed, out, err, code, rss_mb = run_measured([binary, "ls", str(root), "--json"], env)
    if code:
        raise SystemExit(f"harn-tui ls failed ({code}): {err.decode()[-500:]}")
    return elapsed, rss_mb, len(orjson.loads(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "harn-tui-bench-corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--binary", default=str(Path(sys.executable).with_name("harn-tui")),
                        help="the harn-tui to measure (default: this venv's; a user's `pip install .`"
                             " starts ~10 ms faster than an editable install)")
    args = parser.parse_args()
    root = ensure_corpus(args.corpus / str(args.runs), args.runs)
    size = sum(f.stat().st_size for f in root.rglob("*.json"))
    print(f"binary: {args.binary}")
    print(f"corpus: {args.runs} runs, {size / 1e6:.0f} MB, {os.cpu_count()} cores")

    floors, colds, warms, rss = [], [], [], []
    for _ in range(args.repeat):
        floor(root)  # warm the page cache so every measurement reads from memory
        floors.append(floor(root))
        cache = Path(tempfile.mkdtemp(prefix="harn-tui-bench-cache-"))
        try:
            t, r, rows = run_ls(root, cache, args.binary)
            colds.append(t)
            rss.append(r)
            t, r, rows_warm = run_ls(root, cache, args.binary)
            warms.append(t)
            rss.append(r)
            assert rows == rows_warm == args.runs, (rows, rows_warm)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    f, c, w = min(floors), min(colds), min(warms)
    print(f"floor (read + orjson.loads, 1 core): {f:.3f}s")
    print(f"ls --json cold:  {c:.3f}s  = {c / f:.2f}x floor   (target <= 1.0x)")
    print(f"ls --json warm:  {w:.3f}s  = {w / f:.3f}x floor  (target <= 0.1x)")
    rss_target = 200 if args.runs <= 10_000 else 400  # issue #14: 400 MB at 100,000 runs
    print(f"peak RSS:        {max(rss)} MB (cold {max(rss[::2])}, warm {max(rss[1::2])})"
          f"   (target <= {rss_target} MB)")
    ok = c / f <= 1.0 and w / f <= 0.1 and max(rss) <= rss_target
    print("RESULT:", "all targets met" if ok else "target missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
