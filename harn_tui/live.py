"""Live updates: watch workers that turn file changes into index updates and messages.

The run root is watched recursively (watchfiles); only the files named in a change
batch are re-read. A file that fails to parse right after a change keeps its last
good summary while it is retried with a short backoff; only a failure that
persists marks it broken. The event log's files are watched separately.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from harn_tui.messages import EventLogChanged, RootStatus, RunFileChanged, RunsChanged

if TYPE_CHECKING:
    from harn_tui.app import HarnTuiApp
    from harn_tui.core.index.summary import RunSummary

RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)
ROOT_POLL_SECONDS = 0.5
#: How often a missing event log is looked for again.
LOG_APPEAR_SECONDS = 2.0


def start_watching(app: HarnTuiApp) -> None:
    """Start the root watcher and the event-log watcher as exclusive workers."""
    app.run_worker(watch_root_loop(app), exclusive=True, group="watch-root", name="watch-root")
    app.run_worker(watch_log_loop(app), exclusive=True, group="watch-log", name="watch-log")


def _apply(app: HarnTuiApp, paths: set[Path], pending: dict[Path, int]) -> None:
    """Re-read `paths` (in a thread); hold back transient parse failures."""
    with app.index_lock:
        changed, removed = app.index.update(paths)
    app.search_update(paths)
    good: list[RunSummary] = []
    for summary in changed:
        path = app.root / summary.path
        previous = app.runs.get(summary.path)
        if summary.broken and previous is not None and not previous.broken:
            tries = pending.get(path, 0)
            if tries < len(RETRY_DELAYS):
                pending[path] = tries + 1
                continue  # keep the last good row; retry shortly
        pending.pop(path, None)
        good.append(summary)
    if good or removed:
        app.post_message(RunsChanged(good, removed))
    for summary in good:
        app.post_message(RunFileChanged(summary.path))
    for rel in removed:
        app.post_message(RunFileChanged(rel, deleted=True))


async def watch_root_loop(app: HarnTuiApp) -> None:
    """Follow the run root forever: changes, deletion, re-creation."""
    from harn_tui.core.index.watch import watch_root

    pending: dict[Path, int] = {}
    present = app.root.is_dir()
    while True:
        if not app.root.is_dir():
            if present:
                present = False
                app.post_message(RootStatus(False))
            await asyncio.sleep(ROOT_POLL_SECONDS)
            continue
        if not present:
            present = True
            app.post_message(RootStatus(True))
        try:
            async for batch in watch_root(app.root, poll_seconds=app.poll):
                paths = batch.changed | batch.deleted
                if batch.dirs_changed and not paths:
                    paths = set()
                if batch.dirs_changed:
                    # a folder was added/moved/removed: its files were not listed one by one
                    await asyncio.to_thread(app.rescan_quietly)
                if paths:
                    await asyncio.to_thread(_apply, app, paths, pending)
                while pending:
                    delay = RETRY_DELAYS[min(max(pending.values()) - 1, len(RETRY_DELAYS) - 1)]
                    await asyncio.sleep(delay)
                    await asyncio.to_thread(_apply, app, set(pending), pending)
                if not app.root.is_dir():
                    break
        except (FileNotFoundError, RuntimeError, OSError):
            pass
        await asyncio.sleep(0.05 if app.root.is_dir() else ROOT_POLL_SECONDS)


async def watch_log_loop(app: HarnTuiApp) -> None:
    """Watch the event log's files and tell the app when rows may have arrived."""
    from harn_tui.core.index.watch import watch_files

    for _ in range(200):
        if app.event_log is not None or app.event_log_error is not None or app.event_log_done:
            break
        await asyncio.sleep(0.05)
    log = app.event_log
    while log is None:
        # No log yet (Harn may create it after we start): look again now and then.
        if app.events_arg is not None or app.event_log_error is not None:
            return
        await asyncio.sleep(LOG_APPEAR_SECONDS)
        if await asyncio.to_thread(app.event_log_present):
            app.event_log_done = False
            app.load_event_log()
            for _ in range(200):
                if app.event_log_done:
                    break
                await asyncio.sleep(0.05)
            log = app.event_log
            if log is not None:
                app.post_message(EventLogChanged())  # open runs merge it too
    paths = log.watch_paths()
    while True:
        try:
            async for _changed in watch_files(paths, poll_seconds=app.poll):
                app.post_message(EventLogChanged())
        except (FileNotFoundError, RuntimeError, OSError):
            pass
        await asyncio.sleep(0.5)
