"""Live updates: watchers that turn file changes into index updates and messages.

The run root is watched recursively (watchfiles); only the files named in a change
batch are re-read. A file that fails to parse right after a change keeps its last
good summary while it is retried with a short backoff; only a failure that
persists marks it broken. The event log's files are watched separately.

The watchers own their state (the retry backoff, whether the root is there) and
reach the App only through messages (`post`): they never read or call it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from harn_tui.messages import (
    EventLogAppeared,
    EventLogChanged,
    RootStatus,
    RunFileChanged,
    RunsChanged,
)

if TYPE_CHECKING:
    from harn_tui.core.index.run_index import RunIndex
    from harn_tui.core.index.summary import RunSummary

from harn_tui.core.index.watch import RETRY_DELAYS

ROOT_POLL_SECONDS = 0.5
#: How often a missing event log is looked for again.
LOG_APPEAR_SECONDS = 2.0

Post = Callable[[Message], object]


class RootWatcher:
    """Follows the run root forever (changes, deletion, re-creation) and posts what changed.

    `index` is the App's index (shared under `lock` with the App's own scans); the watcher
    re-reads files into it and holds back transient parse failures in `pending`.
    """

    def __init__(
        self,
        root: Path,
        index: RunIndex,
        lock: threading.Lock,
        post: Post,
        poll: float | None,
        *,
        on_paths: Callable[[set[Path]], object] | None = None,
        on_rescan: Callable[[], object] | None = None,
    ) -> None:
        self.root = root
        self.index = index
        self.lock = lock
        self.post = post
        self.poll = poll
        #: Also told of every changed path (in the watcher's thread) and of each full rescan:
        #: the full-text index follows the same watcher as the run list.
        self.on_paths = on_paths
        self.on_rescan = on_rescan
        #: Files that turned broken right after a change: path -> tries so far.
        self.pending: dict[Path, int] = {}

    def apply(self, paths: set[Path]) -> None:
        """Re-read `paths` (in a thread); hold back transient parse failures."""
        with self.lock:
            before = {rel: self.index.runs.get(rel) for p in paths if (rel := self.index.relative(p)) is not None}
            changed, removed = self.index.update(paths)
        if self.on_paths is not None:
            self.on_paths(paths)
        good: list[RunSummary] = []
        for summary in changed:
            path = self.root / summary.path
            previous = before.get(summary.path)
            was_good = path in self.pending or (previous is not None and not previous.broken)
            if summary.broken and was_good:
                tries = self.pending.get(path, 0)
                if tries < len(RETRY_DELAYS):
                    self.pending[path] = tries + 1
                    continue  # keep the last good row; retry shortly
            self.pending.pop(path, None)
            good.append(summary)
        if good or removed:
            self.post(RunsChanged(good, removed))
        for summary in good:
            self.post(RunFileChanged(summary.path))
        for rel in removed:
            self.post(RunFileChanged(rel, deleted=True))

    def rescan(self) -> None:
        """Full rescan (only when folders appear or vanish); unchanged files come from cache."""
        with self.lock:
            runs = self.index.scan()
        self.post(RunsChanged(runs, [], done=True))
        if self.on_rescan is not None:
            self.on_rescan()

    async def run(self) -> None:
        from harn_tui.core.index.watch import watch_root

        present = self.root.is_dir()
        while True:
            if not self.root.is_dir():
                if present:
                    present = False
                    self.post(RootStatus(False))
                await asyncio.sleep(ROOT_POLL_SECONDS)
                continue
            if not present:
                present = True
                self.post(RootStatus(True))
            try:
                async for batch in watch_root(self.root, poll_seconds=self.poll):
                    paths = batch.changed | batch.deleted
                    if batch.dirs_changed:
                        # a folder was added/moved/removed: its files were not listed one by one
                        await asyncio.to_thread(self.rescan)
                    if paths:
                        await asyncio.to_thread(self.apply, paths)
                    while self.pending:
                        delay = RETRY_DELAYS[min(max(self.pending.values()) - 1, len(RETRY_DELAYS) - 1)]
                        await asyncio.sleep(delay)
                        await asyncio.to_thread(self.apply, set(self.pending))
                    if not self.root.is_dir():
                        break
            except (FileNotFoundError, RuntimeError, OSError):
                # the watcher stopped (e.g. WatchFailed): what changed meanwhile was not seen
                if self.root.is_dir():
                    await asyncio.to_thread(self.rescan)
            await asyncio.sleep(0.05 if self.root.is_dir() else ROOT_POLL_SECONDS)


async def watch_log_files(paths: list[Path], post: Post, poll: float | None) -> None:
    """Watch an open event log's files; post `EventLogChanged` when rows may have arrived."""
    from harn_tui.core.index.watch import watch_files

    while True:
        try:
            async for _changed in watch_files(paths, poll_seconds=poll):
                post(EventLogChanged())
        except (FileNotFoundError, RuntimeError, OSError):
            pass
        await asyncio.sleep(0.5)


def event_log_present(root: Path) -> bool:
    """Whether Harn's rules now find an event log (it may appear after start-up)."""
    from harn_tui.core.format.errors import HarnTuiError
    from harn_tui.core.format.locations import event_log_location

    try:
        return event_log_location(os.environ, Path.cwd(), root) is not None
    except HarnTuiError:
        return False


async def watch_log_appears(root: Path, post: Post) -> None:
    """No event log yet (Harn may create it after we start): look again now and then and
    post `EventLogAppeared` once it is there."""
    while True:
        await asyncio.sleep(LOG_APPEAR_SECONDS)
        if await asyncio.to_thread(event_log_present, root):
            post(EventLogAppeared())
            return
