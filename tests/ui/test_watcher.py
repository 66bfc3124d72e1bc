"""The root watcher owns its retry state and speaks only in messages (no App needed), and
the App publishes one "index ready" signal that late screens still get."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest
from uitools import make_app, wait_ready

from harn_tui.app import LoadState
from harn_tui.core.index.run_index import RunIndex
from harn_tui.live import RETRY_DELAYS, RootWatcher
from harn_tui.messages import RunFileChanged, RunsChanged

RUN = {"_type": "run_record", "id": "run-1", "workflow_id": "wf", "status": "running",
       "started_at": "2026-11-20T09:00:00Z", "stages": []}


def _watcher(root: Path) -> tuple[RootWatcher, list[object]]:
    index = RunIndex(root)
    index.scan()
    posted: list[object] = []
    return RootWatcher(root, index, threading.Lock(), posted.append, None), posted


def test_a_half_written_file_is_held_back_then_shown_broken_when_it_stays_so(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(orjson.dumps(RUN))
    watcher, posted = _watcher(tmp_path)
    path.write_bytes(b'{"_type": "run_record", "id": "run-1", "stat')
    for tries in range(1, len(RETRY_DELAYS) + 1):
        watcher.apply({path})
        assert posted == [] and watcher.pending == {path: tries}  # the last good row stays
    watcher.apply({path})
    assert watcher.pending == {}
    changed, file_changed = posted
    assert isinstance(changed, RunsChanged) and [s.broken for s in changed.changed] == [True]
    assert isinstance(file_changed, RunFileChanged) and file_changed.rel == "r.json"


def test_a_fixed_file_is_posted_and_forgotten_by_the_retry(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(orjson.dumps(RUN))
    watcher, posted = _watcher(tmp_path)
    path.write_bytes(b"{")
    watcher.apply({path})
    assert posted == []
    path.write_bytes(orjson.dumps({**RUN, "status": "completed"}))
    watcher.apply({path})
    assert watcher.pending == {}
    assert [s.status for s in posted[0].changed] == ["completed"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("log_first", [True, False], ids=["log-first", "scan-first"])
def test_load_is_ready_once_when_both_the_run_list_and_the_log_lookup_are_done(log_first: bool) -> None:
    load = LoadState()
    assert (load.scanned, load.indexing, load.note, load.ready) == (False, True, "indexing…", False)
    became = []
    if log_first:
        became.append(load.event_log_looked_up())
    load.scan_done()
    assert load.scanned and load.indexing and not load.ready  # rows still on their way
    became.append(load.runs_listed())
    assert load.note == ""
    if not log_first:
        assert not load.ready
        became.append(load.event_log_looked_up())
    assert load.ready
    assert became.count(True) == 1 and became[-1] is True  # the step that completed it, once
    assert not load.runs_listed() and not load.event_log_looked_up()  # a rescan, a log reopened


async def test_index_ready_reaches_a_screen_that_asks_before_and_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.json").write_bytes(orjson.dumps(RUN))
    app = make_app(tmp_path)
    calls: list[str] = []
    async with app.run_test() as pilot:
        await wait_ready(pilot)
        # what "ready" promises: the list complete (no loading note), the log looked for
        assert "r.json" in app.runs and app.load.scanned and app.load.note == ""
        assert app.event_log_note  # no log here, and the header was told so
        app.when_index_ready(app.screen, lambda: calls.append("late"), 30)
        assert calls == ["late"]  # asked after: at once
        monkeypatch.setattr(app, "_load", LoadState())  # as before the first scan ends
        app.when_index_ready(app.screen, lambda: calls.append("early"), 30)
        await pilot.pause()
        assert calls == ["late"]  # waits for the signal
        app.index_ready.publish(None)
        app.index_ready.publish(None)
        await pilot.pause()
        assert calls == ["late", "early"]  # once


async def test_a_file_name_that_is_not_utf8_stops_the_watch_with_a_plain_error(tmp_path: Path) -> None:
    import asyncio
    import os

    from harn_tui.core.index.watch import WatchFailed, watch_root

    odd = os.fsencode(tmp_path) + b"/odd-\xff.json"

    async def first_batch() -> object:
        async for batch in watch_root(tmp_path):
            return batch
        return None

    task = asyncio.create_task(first_batch())
    await asyncio.sleep(0.3)  # the watch is set up
    with open(odd, "wb") as handle:
        handle.write(orjson.dumps(RUN))
    with pytest.raises(WatchFailed, match="decode"):  # not an ExceptionGroup: callers catch it
        await asyncio.wait_for(task, 10)


async def test_after_the_watch_stops_the_root_is_rescanned_and_watched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from harn_tui.core.index import watch

    (tmp_path / "r.json").write_bytes(orjson.dumps(RUN))
    watcher, posted = _watcher(tmp_path)
    starts: list[int] = []

    async def failing(root: Path, **_kw: object):  # type: ignore[no-untyped-def]
        starts.append(1)
        if len(starts) == 1:
            (tmp_path / "new.json").write_bytes(orjson.dumps({**RUN, "id": "run-2"}))
            raise watch.WatchFailed("Unable to decode path")
        await asyncio.sleep(3600)
        yield  # pragma: no cover - an async generator that never yields

    monkeypatch.setattr(watch, "watch_root", failing)
    task = asyncio.create_task(watcher.run())
    for _ in range(100):
        if len(starts) >= 2:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    assert len(starts) == 2  # watched again
    rescans = [m for m in posted if isinstance(m, RunsChanged) and m.done]
    assert rescans and {s.id for s in rescans[-1].changed} == {"run-1", "run-2"}  # nothing missed


def test_the_text_index_waits_while_keys_or_the_mouse_are_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from harn_tui import app as app_module

    monkeypatch.setattr(app_module, "USER_QUIET_SECONDS", 0.3)
    app = make_app(tmp_path)
    start = time.monotonic()
    app._yield_to_user()  # nobody has pressed anything: no wait
    assert time.monotonic() - start < 0.2
    app._last_input = time.monotonic()
    start = time.monotonic()
    app._yield_to_user()
    assert time.monotonic() - start >= 0.25  # until the keys have been still for the quiet time
    app._last_input = time.monotonic()
    app._shutting_down.set()
    start = time.monotonic()
    app._yield_to_user()  # quitting never waits
    assert time.monotonic() - start < 0.2


async def test_a_key_marks_the_app_in_use(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_bytes(orjson.dumps(RUN))
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        before = app._last_input
        await pilot.press("j")
        assert app._last_input > before
