#!/usr/bin/env python3
"""Benchmark: live updates with the real app (headless), as issue #4 asks.

1. write -> visible: a writer rewrites run files atomically at --rate Hz for --seconds while
   the app runs headless; each write carries a sequence number, and the latency is the time
   until the app's run list holds it. Targets: median <= 250 ms, p95 <= 500 ms, and the final
   state in the app equals the final state on disk.
2. idle CPU: nothing changing for --idle seconds; target ~0 (no busy polling).
3. one change among --big runs: costs one file's reload, never a rescan (counters).

    python bench/bench_live.py [--seconds 30] [--rate 50] [--runs 200] [--big 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import orjson

from harn_tui.app import HarnTuiApp
from harn_tui.core.demo.common import atomic_write_json


def record(i: int, seq: int, status: str = "running") -> dict:
    return {
        "_type": "run_record", "id": f"run-{i}", "workflow_id": "deploy", "workflow_name": "deploy",
        "task": f"seq {seq}", "status": status, "started_at": f"2026-11-20T09:{i % 60:02d}:00Z",
        "stages": [{"id": f"s{k}", "node_id": f"n{k}", "kind": "stage", "status": "completed",
                    "outcome": "success"} for k in range(seq % 7 + 1)],
    }


async def wait_until(pilot, cond, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError
        await pilot.pause(0.01)


async def latency(root: Path, runs: int, seconds: float, rate: float) -> None:
    for i in range(runs):
        atomic_write_json(root / f"r{i}.json", record(i, 0))
    app = HarnTuiApp(root, cache_dir=None)
    written: dict[str, tuple[int, float]] = {}  # rel -> (seq, write time)
    latencies: list[float] = []
    seen: dict[str, int] = {}
    stop = threading.Event()

    def writer() -> None:
        seq = 0
        interval = 1.0 / rate
        next_at = time.perf_counter()
        end = next_at + seconds
        while time.perf_counter() < end and not stop.is_set():
            seq += 1
            i = seq % runs
            rel = f"r{i}.json"
            status = "completed" if seq > rate * seconds - runs else "running"
            atomic_write_json(root / rel, record(i, seq, status))
            written[rel] = (seq, time.perf_counter())
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))

    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.load.scanned and len(app.runs) == runs)
        await pilot.pause(0.5)
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        while thread.is_alive():
            now = time.perf_counter()
            for rel, (seq, at) in list(written.items()):
                run = app.runs.get(rel)
                if run is not None and run.task == f"seq {seq}" and seen.get(rel) != seq:
                    seen[rel] = seq
                    latencies.append(now - at)
            await pilot.pause(0.005)
        thread.join()
        final = {f"r{i}.json": orjson.loads((root / f"r{i}.json").read_bytes()) for i in range(runs)}

        def settled() -> bool:
            return all(
                app.runs.get(rel) is not None
                and app.runs[rel].task == rec["task"]
                and app.runs[rel].status == rec["status"]
                for rel, rec in final.items()
            )

        try:
            await wait_until(pilot, settled, timeout=10)
            dropped = 0
        except TimeoutError:
            dropped = sum(1 for rel, rec in final.items() if app.runs.get(rel) is None
                          or app.runs[rel].task != rec["task"])
        rows = {r.path for r in app.screen.table.rows} if hasattr(app.screen, "table") else set()
        on_screen = rows >= set(final)
        # idle CPU: nothing changes now
        await pilot.pause(1.0)
        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(5.0)
        idle = (time.process_time() - cpu0) / (time.perf_counter() - t0)
    latencies.sort()
    writes = sum(1 for _ in written) and len(latencies)
    print(f"writes observed: {writes} ({rate:g} Hz for {seconds:g} s over {runs} runs)")
    if latencies:
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"write -> visible: median {statistics.median(latencies) * 1000:.0f} ms (target <= 250), "
              f"p95 {p95 * 1000:.0f} ms (target <= 500), max {latencies[-1] * 1000:.0f} ms")
    print(f"final state equals disk: {'yes' if dropped == 0 else f'NO ({dropped} runs differ)'}; "
          f"every run in the table: {'yes' if on_screen else 'no'}")
    print(f"idle CPU (5 s, nothing changing): {idle * 100:.1f}% of one core (target ~0)")


async def one_change(root: Path, big: int) -> None:
    small = record(0, 0)
    data = orjson.dumps(small)
    for i in range(big):
        sub = root / f"d{i % 50}"
        sub.mkdir(exist_ok=True)
        (sub / f"r{i}.json").write_bytes(data.replace(b'"run-0"', f'"run-{i}"'.encode()))
    app = HarnTuiApp(root, cache_dir=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.load.scanned and len(app.runs) == big, timeout=300)
        await pilot.pause(0.5)
        reloads, scans = app.index.stats.reloads, []
        full_scan = app.index.scan
        app.index.scan = lambda *a, **k: (scans.append(1), full_scan(*a, **k))[1]  # a spy
        target = root / "d7" / "r7.json"
        atomic_write_json(target, record(7, 99, "completed"))
        await wait_until(pilot, lambda: app.runs["d7/r7.json"].status == "completed")
        await pilot.pause(0.3)
        print(f"{big} runs, one file changed: {app.index.stats.reloads - reloads} file reload(s), "
              f"{len(scans)} rescans (target: 1 reload, 0 rescans)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--big", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("HARN_TUI_CACHE_DIR", tempfile.mkdtemp(prefix="harn-tui-bench-cache-"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        root.mkdir()
        asyncio.run(latency(root, args.runs, args.seconds, args.rate))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        root.mkdir()
        asyncio.run(one_change(root, args.big))


if __name__ == "__main__":
    main()
