"""Large inputs open without freezing input: a key is handled within 100 ms during the load.

Default sizes are modest (a ~50 MB run file, a ~20 MB sidecar, a 100k-row event-log
topic); `--deep` / HARN_TUI_DEEP=1 raises them (200 MB run file, 1 GB sidecar, 1M
rows). The latency of a key (`f`, follow mode) is measured while the run detail is loading.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from pathlib import Path

import orjson
import pytest
from hostiletools import DEEP
from uitools import make_app, wait_for

from harn_tui.core.demo.common import text
from harn_tui.core.demo.eventlog_writer import SQLITE_SCHEMA
from harn_tui.core.demo.records import make_run
from harn_tui.core.eventlog.protocol import agent_events_topic
from harn_tui.core.eventlog.sqlite import SqliteEventLog
from harn_tui.screens.run import RunScreen

SIZE = (120, 36)
KEY_BUDGET_S = 0.100
MB = 1024 * 1024


def big_record(target: int, seed: int = 1, session_id: str | None = None) -> bytes:
    """A realistic record whose run transcript pads it to about `target` bytes."""
    rng = random.Random(seed)
    record = make_run(rng, run_id="big-run", workflow="big", started_ms=1_776_945_600_000,
                      n_stages=3, status="running", ts_format="uuidv7")
    chunk = text(rng, 6000)
    messages = record.setdefault("transcript", None) or {}
    record["transcript"] = {**messages, "_type": "transcript", "version": 2,
                            "id": session_id or "session_big", "messages": [], "events": [], "assets": []}
    base = len(orjson.dumps(record))
    count = max((target - base) // (len(chunk) + 40), 1)
    record["transcript"]["messages"] = [
        {"role": "tool" if i % 2 else "assistant", "content": f"{i} {chunk}"} for i in range(count)
    ]
    return orjson.dumps(record)


async def _key_latencies(pilot, until, presses: int = 8) -> list[float]:  # type: ignore[no-untyped-def]
    """Press `f` repeatedly while `until()` is false: time from the key press to its handler.

    (Pilot's own bookkeeping after the handler — waiting for the app to go idle and
    repaint — is not part of the latency a user feels before the key takes effect.)
    """
    out: list[float] = []
    screen = pilot.app.screen
    handled: list[float] = []
    original = screen.action_toggle_follow

    def timed() -> None:
        handled.append(time.perf_counter())
        original()

    screen.action_toggle_follow = timed
    try:
        for _ in range(presses):
            if until():
                break
            start = time.perf_counter()
            count = len(handled)
            await pilot.press("f")
            await pilot.pause(0.001)
            assert len(handled) == count + 1, "the key was not handled"
            out.append(handled[-1] - start)
    finally:
        screen.action_toggle_follow = original
    return out


async def _open_and_measure(
    root: Path, path: Path, events: Path | None = None, *, warm: Path | None = None
) -> tuple[list[float], float]:
    """Key latencies while `path` loads in the run detail (plus, with `warm`, the longest
    stall of the event loop during the load, a key's worst wait), and the load time.

    With `warm`, the detail is first opened on that small file and then pointed at `path`
    and reloaded (as when a followed file is rewritten): the screen's own mount cost, the
    same for any file, is kept out of the measurement. Without it, the first press (which
    waits for the screen's first layout) is discarded as warm-up.
    """
    app = make_app(root, events)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.scanned.is_set() and not app.loading_note and app.event_log_done,
                       timeout=120)
        app.open_path(warm or path)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        screen = app.screen
        failures: list[str] = []  # a spy on the screen's failure path
        failed = screen._failed
        screen._failed = lambda reason: (failures.append(reason), failed(reason))  # type: ignore[method-assign]
        if warm is not None:
            await wait_for(pilot, lambda: screen.detail is not None, timeout=60)
            await pilot.pause(0.2)
            old = screen.detail
            gaps: list[float] = []
            done = False

            async def ticker() -> None:  # the event loop's stalls: how long a key would wait
                last = time.perf_counter()
                while not done:
                    await asyncio.sleep(0.002)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            task = asyncio.create_task(ticker())
            start = time.perf_counter()
            screen.path = path
            screen.load()
            latencies = await _key_latencies(
                pilot, lambda: screen.detail is not old or bool(failures), presses=12)
            await wait_for(pilot, lambda: screen.detail is not old or bool(failures), timeout=300)
            done = True
            await task
            latencies.append(max(gaps, default=0.0))
        else:
            start = time.perf_counter()
            await pilot.pause(0.15)
            latencies = (await _key_latencies(pilot, lambda: screen.detail is not None, presses=12))[1:]
            await wait_for(pilot, lambda: screen.detail is not None or bool(failures), timeout=300)
        loaded = time.perf_counter() - start
        assert not failures, failures
    return latencies, loaded


async def test_large_run_file_keeps_input_responsive(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    path = root / "big.json"
    path.write_bytes(big_record((200 if DEEP else 50) * MB))
    (root / "small.json").write_bytes(big_record(50_000))
    latencies, loaded = await _open_and_measure(root, path, warm=root / "small.json")
    print(f"run file {path.stat().st_size / MB:.0f} MB: loaded in {loaded:.2f}s, key latencies "
          f"{[round(x * 1000) for x in latencies]} ms")
    assert latencies, "the load finished before a key could be pressed"
    assert max(latencies) < KEY_BUDGET_S, latencies


async def test_large_sidecar_keeps_input_responsive(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    path = root / "run.json"
    path.write_bytes(big_record(200_000))
    sidecar = root / "run-llm" / "llm_transcript.jsonl"
    sidecar.parent.mkdir()
    rng = random.Random(3)
    body = text(rng, 150)  # many short lines: per-line work dominates, as in real sidecars
    target = (1024 if DEEP else 30) * MB
    with open(sidecar, "wb") as fh:
        written, i = 0, 0
        while written < target:
            line = orjson.dumps({"type": "message", "iteration": i // 4, "role": "user", "content": body}) + b"\n"
            if i % 4 == 3:
                line += orjson.dumps({"type": "provider_call_request", "call_id": f"c{i}", "model": "m"}) + b"\n"
            fh.write(line)
            written += len(line)
            i += 1
    (root / "small.json").write_bytes(big_record(50_000))
    latencies, loaded = await _open_and_measure(root, path, warm=root / "small.json")
    print(f"sidecar {target / MB:.0f} MB: loaded in {loaded:.2f}s, key latencies "
          f"{[round(x * 1000) for x in latencies]} ms")
    assert latencies, "the load finished before a key could be pressed"
    assert max(latencies) < KEY_BUDGET_S, latencies


@pytest.fixture
def many_rows(tmp_path: Path) -> tuple[Path, Path, int]:
    """A run whose agent session topic holds 100k (1M deep) rows."""
    rows = 1_000_000 if DEEP else 100_000
    state = tmp_path / ".harn"
    state.mkdir()
    db = state / "events.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(SQLITE_SCHEMA)
    sid = "session_big"
    topic = agent_events_topic(sid)
    headers = orjson.dumps({"session_id": sid}).decode()

    def gen():  # type: ignore[no-untyped-def]
        for i in range(1, rows + 1):
            event = {"type": "agent_message_chunk", "session_id": sid, "content": f"chunk {i} "}
            yield (topic, i, "agent_message_chunk",
                   orjson.dumps({"index_hint": i, "session_id": sid, "event": event}), headers, i)

    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", gen())
    conn.commit()
    conn.close()
    root = tmp_path / "runs"
    root.mkdir()
    path = root / "run.json"
    path.write_bytes(big_record(100_000, session_id=sid))
    return root, db, rows


async def test_event_log_topic_with_many_rows(
    many_rows: tuple[Path, Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first page of a huge topic is shown at once; the rest arrives in pages while keys
    keep being answered; in the end every row is there."""
    from harn_tui.screens import run as run_screen

    root, db, rows = many_rows
    monkeypatch.setattr(run_screen, "REST_PAGE_ROWS", rows // 20)  # several pages to press during
    with SqliteEventLog(db) as log:
        start = time.perf_counter()
        page = log.read(agent_events_topic("session_big"), after=rows - 10, limit=1024)
        assert len(page) == 10 and time.perf_counter() - start < 0.5  # paging by id is indexed
    app = make_app(root, db)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.scanned.is_set() and app.event_log_done, timeout=120)
        start = time.perf_counter()
        app.open_path(root / "run.json")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.detail is not None, timeout=60)
        first = time.perf_counter() - start

        def count() -> int:
            return len((screen.detail.agent_sessions or {}).get("session_big") or [])

        shown = count()
        assert 0 < shown < rows  # a first page, not the whole topic
        # (the first press waits for the new screen's first layout: warm-up, not counted)
        latencies = (await _key_latencies(pilot, lambda: count() == rows, presses=12))[1:]
        await wait_for(pilot, lambda: count() == rows, timeout=300)
        loaded = time.perf_counter() - start
    print(f"topic with {rows:,} rows: first screen in {first:.2f}s ({shown:,} rows), all in "
          f"{loaded:.2f}s, key latencies {[round(x * 1000) for x in latencies]} ms")
    assert latencies, "the load finished before a key could be pressed"
    assert max(latencies) < KEY_BUDGET_S, latencies
