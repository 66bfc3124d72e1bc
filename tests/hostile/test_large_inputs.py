"""Large inputs open without freezing input: keys are answered while the load runs.

What is asserted is behaviour, not time: a key pressed after the load has started is
handled before the load has finished (the load runs off the event loop), the load ends with
every byte accounted for, and a huge event-log topic is read a page at a time through its
index. How fast each of those is lives in `bench/bench_large_inputs.py`.

Default sizes are modest (a ~50 MB run file, a ~30 MB sidecar, a 100k-row event-log
topic); `--deep` / HARN_TUI_DEEP=1 raises them (200 MB run file, 1 GB sidecar, 1M rows).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from hostiletools import DEEP
from uitools import make_app, wait_for, wait_ready

from harn_tui.core.demo.eventlog_writer import SQLITE_SCHEMA
from harn_tui.core.demo.large import MB, padded_record, write_long_sidecar
from harn_tui.core.eventlog.protocol import agent_events_topic
from harn_tui.core.eventlog.sqlite import SqliteEventLog
from harn_tui.screens.run import RunScreen

SIZE = (120, 36)


async def _keys_while(pilot, loading, presses: int = 6) -> list[bool]:  # type: ignore[no-untyped-def]
    """Press `f` (follow) up to `presses` times while `loading()` holds; for each press, whether
    its handler ran while the load was still going."""
    screen = pilot.app.screen
    during: list[bool] = []
    original = screen.action_toggle_follow

    def spy() -> None:
        during.append(loading())
        original()

    screen.action_toggle_follow = spy
    try:
        for _ in range(presses):
            if not loading():
                break
            count = len(during)
            await pilot.press("f")
            assert len(during) == count + 1, "the key was not handled"
    finally:
        screen.action_toggle_follow = original
    return during


async def _reload_and_press(root: Path, path: Path, warm: Path) -> tuple[list[bool], Any]:
    """Open the detail on the small `warm` file, point it at `path` and reload (as when a
    followed file is rewritten), pressing keys meanwhile; the load must succeed."""
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, timeout=120)
        app.open_path(warm)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        screen = app.screen
        failures: list[str] = []
        failed = screen._failed
        screen._failed = lambda reason: (failures.append(reason), failed(reason))  # type: ignore[method-assign]
        await wait_for(pilot, lambda: screen.detail is not None, timeout=60)
        old = screen.detail
        screen.path = path
        screen.load()
        during = await _keys_while(pilot, lambda: screen.detail is old and not failures)
        await wait_for(pilot, lambda: screen.detail is not old or bool(failures), timeout=300)
        assert not failures, failures
        assert screen.detail is not None and screen.detail.path == path
    return during, screen.detail


async def test_large_run_file_keeps_input_responsive(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    path = root / "big.json"
    path.write_bytes(padded_record((200 if DEEP else 50) * MB))
    (root / "small.json").write_bytes(padded_record(50_000))
    during, detail = await _reload_and_press(root, path, root / "small.json")
    assert during and all(during), f"keys waited for the load: {during}"
    assert len(detail.raw["transcript"]["messages"]) > 1000


async def test_large_sidecar_keeps_input_responsive(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    path = root / "run.json"
    path.write_bytes(padded_record(200_000))
    lines = write_long_sidecar(root / "run-llm" / "llm_transcript.jsonl", (1024 if DEEP else 30) * MB)
    (root / "small.json").write_bytes(padded_record(50_000))
    during, detail = await _reload_and_press(root, path, root / "small.json")
    assert during and all(during), f"keys waited for the load: {during}"
    assert detail.sidecar_available and len(detail.model_turns) == lines // 4


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
    path.write_bytes(padded_record(100_000, session_id=sid))
    return root, db, rows


def test_topic_pages_are_read_through_the_index(many_rows: tuple[Path, Path, int]) -> None:
    """A page far into a huge topic is a range search on the key, never a scan of the table."""
    _, db, rows = many_rows
    seen: list[tuple[str, tuple]] = []
    with SqliteEventLog(db) as log:
        query = log._query

        def spy(sql: str, params: tuple = ()) -> list:  # type: ignore[type-arg]
            seen.append((sql, params))
            return query(sql, params)

        log._query = spy  # type: ignore[method-assign]
        page = log.read(agent_events_topic("session_big"), after=rows - 10, limit=1024)
        assert [e.event_id for e in page] == list(range(rows - 9, rows + 1))
    sql, params = next((s, p) for s, p in seen if "FROM events" in s and "LIMIT" in s)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    conn.close()
    assert "SEARCH" in plan and "event_id>?" in plan.replace(" ", ""), plan
    assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan


async def test_event_log_topic_with_many_rows(
    many_rows: tuple[Path, Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first page of a huge topic is shown at once; the rest arrives in pages while keys
    keep being answered; in the end every row is there."""
    from harn_tui.screens import run as run_screen

    root, db, rows = many_rows
    monkeypatch.setattr(run_screen, "REST_PAGE_ROWS", rows // 20)  # several pages to press during
    app = make_app(root, db)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, timeout=120)
        app.open_path(root / "run.json")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.detail is not None, timeout=60)

        def count() -> int:
            return len((screen.detail.agent_sessions or {}).get("session_big") or [])

        shown = count()
        assert 0 < shown < rows  # a first page, not the whole topic
        during = await _keys_while(pilot, lambda: count() < rows)
        await wait_for(pilot, lambda: count() == rows, timeout=300)
    assert during and all(during), f"keys waited for the rest of the topic: {during}"
