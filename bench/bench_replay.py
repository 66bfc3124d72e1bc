#!/usr/bin/env python3
"""Benchmark: a 1,000,000-event agent session scrolls like a 10-event one (real app, headless).

An SQLite event log holds one session of --events distinct events (no chunk coalescing:
every event is a row); the run linked to it is opened on the replay pane (5). Reported:
the time to the first screen (the first page of the topic), the time until every event
is in, and the key round-trip of down / page down / end / home on the timeline, as a
ratio to the same keys on a 10-event session measured in the same run (target: ~1x).

    python bench/bench_replay.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import orjson

SIZE = (120, 36)
KEYS = ("down", "pagedown", "end", "home")


def make_root(base: Path, events: int) -> tuple[Path, Path]:
    from harn_tui.core.demo.eventlog_writer import SQLITE_SCHEMA
    from harn_tui.core.demo.records import make_run
    from harn_tui.core.eventlog.protocol import agent_events_topic

    root, state = base / "runs", base / ".harn"
    root.mkdir(parents=True)
    state.mkdir()
    db = state / "events.sqlite"
    sid = "session_big"
    rec = make_run(random.Random(1), run_id="run-big", workflow="w", started_ms=1_776_945_600_000,
                   n_stages=2, status="running", ts_format="uuidv7")
    rec["transcript"] = {"_type": "transcript", "version": 2, "id": sid, "messages": [],
                         "events": [], "assets": []}
    (root / "run.json").write_bytes(orjson.dumps(rec))
    conn = sqlite3.connect(db)
    conn.executescript(SQLITE_SCHEMA)
    topic, headers = agent_events_topic(sid), orjson.dumps({"session_id": sid}).decode()

    def rows():  # type: ignore[no-untyped-def]
        for i in range(1, events + 1):
            event = {"type": "turn_start", "session_id": sid, "iteration": i}
            payload = orjson.dumps({"index_hint": i, "session_id": sid, "event": event})
            yield topic, i, "turn_start", payload, headers, 1_776_945_600_000 + i

    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", rows())
    conn.commit()
    conn.close()
    return root, db


async def measure(root: Path, db: Path, events: int) -> dict[str, float]:
    from harn_tui.app import HarnTuiApp
    from harn_tui.screens.run import RunScreen

    app = HarnTuiApp(root, events=db, cache_dir=None, watch=False)
    out: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        while not app.load.ready:
            await pilot.pause(0.02)
        start = time.perf_counter()
        app.open_path(root / "run.json")
        while not (isinstance(app.screen, RunScreen) and app.screen.detail is not None):
            await asyncio.sleep(0.002)
        out["first screen s"] = time.perf_counter() - start
        screen = app.screen

        def count() -> int:
            return len((screen.detail.agent_sessions or {}).get("session_big") or [])

        while count() < events:
            await asyncio.sleep(0.05)
        await pilot.pause(0.3)
        out["all events s"] = time.perf_counter() - start
        await pilot.press("5")
        await pilot.pause(0.2)
        pane = screen.query_one("#replay-list")
        pane.focus()
        await pilot.pause()
        assert pane.count == events, (pane.count, events)
        for key in KEYS:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                times.append((time.perf_counter() - t0) * 1000)
            out[key] = statistics.median(times)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    results = {}
    for n in (10, args.events):
        base = Path(tempfile.mkdtemp(prefix="harn-tui-replay-"))
        t0 = time.perf_counter()
        root, db = make_root(base, n)
        print(f"session of {n:,} events written in {time.perf_counter() - t0:.1f}s")
        results[n] = asyncio.run(measure(root, db, n))
    small, big = results[10], results[args.events]
    print(f"{'':<16} {'10 events':>10} {f'{args.events:,} events':>16} {'ratio':>7}")
    for key in ("first screen s", "all events s", *KEYS):
        unit = "s" if key.endswith(" s") else "ms"
        print(f"{key:<16} {small[key]:>9.2f}{unit} {big[key]:>15.2f}{unit} {big[key] / small[key]:>7.1f}")
    worst = max(big[k] / small[k] for k in KEYS)
    print(f"RESULT: keys on the big session cost {worst:.1f}x the small one's at worst (target ~1x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
