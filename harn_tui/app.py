"""`HarnTuiApp`: global bindings, the palette, the workers that read disk, screen routing."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding

from harn_tui.core.errors import HarnTuiError
from harn_tui.core.index import RunIndex
from harn_tui.core.search_query import RegexTimeout
from harn_tui.core.summary import RunSummary
from harn_tui.messages import (
    EventLogChanged,
    RootStatus,
    RunFileChanged,
    RunsChanged,
    SearchIndexChanged,
)

if TYPE_CHECKING:
    from harn_tui.core.eventlog import EventLog


class HarnTuiApp(App[int]):
    """The harn-tui explorer."""

    TITLE = "harn-tui"
    CSS_PATH = "harn_tui.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("i", "inbox", "HITL inbox"),
        Binding("ctrl+f", "search", "Search all runs", show=False, priority=True),
        Binding("ctrl+s", "save_screenshot", "Screenshot", show=False),
    ]

    def __init__(
        self,
        root: Path,
        *,
        run_file: Path | None = None,
        events: Path | None = None,
        cache_dir: Path | None = None,
        poll: float | None = None,
        theme: str | None = None,
        watch: bool = True,
    ) -> None:
        super().__init__()
        from harn_tui.commands import RunCommands

        self.COMMANDS = App.COMMANDS | {RunCommands}
        self.root = Path(root)
        self.run_file = run_file
        self.events_arg = events
        self.cache_dir = cache_dir
        self.poll = poll
        self.watch_enabled = watch
        self.runs: dict[str, RunSummary] = {}
        self.index = RunIndex(self.root, cache_dir=cache_dir)
        self.event_log: EventLog | None = None
        self.event_log_error: str | None = None
        self.loading_note = "indexing…"
        self.root_note = ""
        self.index_lock = threading.Lock()
        self.scanned = threading.Event()
        self.event_log_done = False
        self.log_poll_lock = threading.Lock()
        self.log_poll_running = False
        self.log_poll_again = False
        self.scan_count = 0  # full scans done (benchmarks check the watcher does not rescan)
        from harn_tui.core.hitl import QuestionIndex

        self.log_questions = QuestionIndex()
        self.search_index: Any = None  # core.search_index.SearchIndex, built after first paint
        self.search_lock = threading.Lock()
        self.search_ready = threading.Event()
        self.search_note = "indexing text…"
        self.search_stale: set[Path] = set()
        self.search_stale_lock = threading.Lock()
        if theme:
            self.theme = theme

    # -- start-up -------------------------------------------------------------

    def on_mount(self) -> None:
        from harn_tui.screens.runs import RunsScreen

        if self.run_file is not None:
            self.push_screen(RunsScreen())
            self.open_path(self.run_file)
        elif self.root.is_dir():
            self.push_screen(RunsScreen())
        else:
            from harn_tui.screens.empty import EmptyScreen

            self.push_screen(EmptyScreen(self.root))
        self.load_event_log()
        self.scan_root()
        self.call_after_refresh(self.build_search_index)
        if self.watch_enabled:
            from harn_tui.live import start_watching

            start_watching(self)

    @work(thread=True, exclusive=True, group="scan", name="scan")
    def scan_root(self) -> None:
        """Index the root in the background, streaming rows in batches."""
        if not self.root.is_dir():
            self.loading_note = ""
            self.scanned.set()
            return

        def batch(rows: list[RunSummary]) -> None:
            self.post_message(RunsChanged(rows, []))

        with self.index_lock:
            self.scan_count += 1
            try:
                runs = self.index.scan(on_batch=batch)
            except OSError as exc:
                self.post_message(RootStatus(False, str(exc)))
                return
        self.scanned.set()
        self.post_message(RunsChanged(runs, [], done=True))

    @work(thread=True, group="eventlog", name="eventlog")
    def load_event_log(self) -> None:
        from harn_tui.core.eventlog import open_default_event_log

        try:
            self.event_log = open_default_event_log(self.events_arg, os.environ, Path.cwd())
        except HarnTuiError as exc:
            self.event_log_error = exc.reason
        finally:
            self.event_log_done = True
        self.poll_event_log()

    # -- full-text search ------------------------------------------------------

    @work(thread=True, exclusive=True, group="search-index", name="search-index")
    def build_search_index(self) -> None:
        """Open the full-text index and bring it up to date (only changed files are read)."""
        from harn_tui.core.search import open_index

        self.scanned.wait(120)  # the run list first: indexing text never competes with it
        last = [0.0]

        def progress(done: int, total: int) -> None:
            self.search_note = f"indexing text {done:,}/{total:,}…"
            now = time.monotonic()
            if now - last[0] > 0.5:
                last[0] = now
                self.post_message(SearchIndexChanged())

        with self.search_lock:
            try:
                if self.search_index is None:
                    self.search_index = open_index(self.root, self.cache_dir)
                if self.root.is_dir():
                    self.search_index.sync(on_progress=progress)
                self._search_poll_events()
                self.search_note = ""
            except Exception as exc:  # the explorer works without search
                self.search_note = f"search index unavailable: {exc}"
                return
            finally:
                with self.search_stale_lock:
                    self.search_ready.set()
                    stale, self.search_stale = self.search_stale, set()
        if stale:
            self.search_update(stale)
        self.post_message(SearchIndexChanged())

    def _search_poll_events(self) -> None:
        if self.event_log is not None and self.search_index is not None:
            with contextlib.suppress(HarnTuiError):
                self.search_index.poll_events(self.event_log)

    def search_update(self, paths: set[Path]) -> None:
        """The watcher saw these files change (called in its thread): re-index them only."""
        with self.search_stale_lock:
            if not self.search_ready.is_set():
                self.search_stale |= set(paths)  # the build running now picks them up after
                return
        if self.search_index is None:
            return
        with self.search_lock:
            try:
                touched = self.search_index.update_paths(paths)
            except Exception:
                return
        if touched:
            self.post_message(SearchIndexChanged())

    def search_hits(self, text: str, *, regex: bool = False, limit: int | None = None) -> list[Any]:
        """Hits for a search typed in the app (any thread; its own connection to the index)."""
        from harn_tui.core.search_query import parse_search, run_search

        index = self.search_index
        if index is None:
            return []
        query = parse_search(text, regex=regex)
        allowed = None
        if query.where:
            allowed = self.where_paths(query.where)
        if regex:
            from harn_tui.core.search import _bounded

            result = _bounded(index, query, allowed, limit, 3.0)
            if result.timed_out:
                raise RegexTimeout(result.timed_out)
            return result.hits
        conn = index.reader()
        try:
            return list(run_search(conn, query, allowed=allowed, limit=limit))
        finally:
            conn.close()

    def where_paths(self, where: str) -> set[str]:
        from harn_tui.core.query import filter_runs, parse_query

        query = parse_query(where)
        if query.text_sets:
            query.bind_text(self.text_paths)
        return {r.path for r in filter_runs(list(self.runs.values()), query, int(time.time() * 1000))}

    def text_paths(self, needle: str) -> set[str]:
        """Run paths whose text holds `needle` (for `text~` in the query bar)."""
        from harn_tui.core.search import paths_matching

        self.search_ready.wait(30)
        index = self.search_index
        if index is None:
            return set()
        conn = index.reader()
        try:
            return paths_matching(conn, needle)
        finally:
            conn.close()

    def on_search_index_changed(self, message: SearchIndexChanged) -> None:
        from harn_tui.screens.runs import RunsScreen
        from harn_tui.screens.search import SearchScreen

        for screen in self.screen_stack:
            if isinstance(screen, SearchScreen) and screen.is_mounted:
                screen.index_changed()
            if isinstance(screen, RunsScreen) and screen.is_mounted:
                screen.text_index_changed()

    def action_search(self) -> None:
        from harn_tui.screens.search import SearchScreen

        if not isinstance(self.screen, SearchScreen):
            self.push_screen(SearchScreen())

    def open_hit(self, hits: list[Any], index: int) -> None:
        """Open the run holding hits[index] on the pane and row of the hit."""
        from harn_tui.screens.run import RunScreen

        hit = hits[index]
        path = hit.path
        if not path or path.startswith("events:"):
            self.open_json({"topic": hit.topic, "event_id": hit.location.event_id,
                            "text": hit.text}, f"event #{hit.location.event_id}")
            return
        self.push_screen(RunScreen(self.root / path, hits=hits, hit_index=index))

    def poll_event_log(self) -> None:
        """Read new `hitl.questions` rows (incrementally) and refresh the list's HITL counts."""
        if self.event_log is None:
            return
        try:
            changed = self.log_questions.poll(self.event_log)
        except HarnTuiError as exc:
            self.event_log_error = exc.reason
            return
        if changed:
            self.post_message(RunsChanged([], [], hitl_changed=True))
        if self.search_ready.is_set() and self.search_lock.acquire(timeout=5):
            try:
                self._search_poll_events()  # agent events into the full-text index
            finally:
                self.search_lock.release()

    def _poll_event_log_loop(self) -> None:
        while True:
            with self.log_poll_lock:
                if not self.log_poll_again:
                    self.log_poll_running = False
                    return
                self.log_poll_again = False
            try:
                self.poll_event_log()
            except Exception as exc:  # keep the loop (and later polls) alive
                self.event_log_error = f"event log: {exc}"

    def with_log_hitl(self, run: RunSummary) -> RunSummary:
        """The summary with HITL questions from the event log counted in."""
        extra = self.log_questions.request_ids(run.id) if run.id else set()
        if extra:
            run.hitl_question_count = len(set(run.hitl_request_ids) | extra)
        return run

    def on_runs_changed(self, message: RunsChanged) -> None:
        if message.done:
            self.loading_note = ""
            self.runs = {}
        for run in message.changed:
            self.runs[run.path] = self.with_log_hitl(run)
        for rel in message.removed:
            self.runs.pop(rel, None)
        if message.hitl_changed:
            for run in self.runs.values():
                self.with_log_hitl(run)
        self.refresh_run_list()

    def rescan_quietly(self) -> None:
        """Full rescan (only when folders appear or vanish); unchanged files come from cache."""
        with self.index_lock:
            self.scan_count += 1
            runs = self.index.scan()
        self.post_message(RunsChanged(runs, [], done=True))
        if self.search_ready.is_set():
            self.call_from_thread(self.build_search_index)

    def on_run_file_changed(self, message: RunFileChanged) -> None:
        from harn_tui.screens.run import RunScreen

        for screen in self.screen_stack:
            if (
                isinstance(screen, RunScreen)
                and screen.is_mounted
                and self.index.relative(screen.path) == message.rel
            ):
                screen.refresh_from_disk()

    def on_event_log_changed(self, message: EventLogChanged) -> None:
        from harn_tui.screens.run import RunScreen

        # Coalesce: while a poll runs, further changes just ask it to go round once more.
        with self.log_poll_lock:
            self.log_poll_again = True
            start = not self.log_poll_running
            self.log_poll_running = True
        if start:
            self.run_worker(self._poll_event_log_loop, thread=True, group="eventlog-poll")
        for screen in self.screen_stack:
            if isinstance(screen, RunScreen) and screen.is_mounted:
                screen.refresh_events()

    def on_root_status(self, message: RootStatus) -> None:
        from harn_tui.screens.empty import EmptyScreen
        from harn_tui.screens.runs import RunsScreen

        if message.present:
            self.root_note = ""
            if isinstance(self.screen, EmptyScreen):
                self.switch_screen(RunsScreen())
            self.scan_root()
        else:
            self.root_note = f"run directory {self.root} is gone" + (
                f": {message.reason}" if message.reason else " (waiting for it to come back)"
            )
            self.runs.clear()
        self.refresh_run_list()

    def refresh_run_list(self) -> None:
        from harn_tui.screens.runs import RunsScreen

        for screen in self.screen_stack:
            if isinstance(screen, RunsScreen) and screen.is_mounted:
                screen.refresh_rows()

    # -- navigation -----------------------------------------------------------

    def open_run(self, run: RunSummary) -> None:
        if run.broken:
            self.notify(f"{run.path}: {run.error}", title="Cannot open", severity="error", markup=False)
            return
        self.open_path(self.root / run.path)

    def open_path(self, path: Path, *, trail: list[str] | None = None) -> None:
        from harn_tui.screens.run import RunScreen

        self.push_screen(RunScreen(Path(path), trail=trail or []))

    def open_raw_file(self, rel: str) -> None:
        from harn_tui.screens.json_view import JsonScreen

        self.push_screen(JsonScreen.from_file(self.root / rel, title=rel))

    def open_json(self, value: Any, title: str) -> None:
        from harn_tui.screens.json_view import JsonScreen

        self.push_screen(JsonScreen(value, title=title))

    def open_text(self, text: str, title: str) -> None:
        from harn_tui.screens.text_view import TextScreen

        self.push_screen(TextScreen(text, title=title))

    # -- hand-off -------------------------------------------------------------

    def copy_value(self, text: str) -> None:
        self.copy_to_clipboard(text)
        shown = text if len(text) < 80 else text[:77] + "…"
        self.notify(shown, title="Copied", markup=False)

    def open_in_pager(self, target: Path | str, *, editor: bool = False) -> None:
        """Open a file (or a text, via a temp file) in $PAGER / $EDITOR."""
        path: Path
        cleanup = False
        if isinstance(target, Path):
            path = target
        else:
            fd, name = tempfile.mkstemp(prefix="harn-tui-", suffix=".txt")
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as handle:
                handle.write(target)
            path, cleanup = Path(name), True
        command = os.environ.get("EDITOR" if editor else "PAGER") or ("vi" if editor else "less -R")
        try:
            with self.suspend():
                subprocess.run([*shlex.split(command), str(path)], check=False)
        except Exception as exc:  # no terminal to hand over (headless, web)
            self.notify(f"cannot open {command}: {exc}", severity="error", markup=False)
        finally:
            if cleanup:
                path.unlink(missing_ok=True)

    def action_inbox(self) -> None:
        from harn_tui.screens.inbox import InboxScreen

        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast is plain text with control characters made visible (it may quote a
        record: a file name, an error, an id)."""
        from harn_tui.core.textsafe import visible

        super().notify(
            visible(str(message)), title=visible(str(title)), severity=severity,
            timeout=timeout, markup=False,
        )

    def action_help(self) -> None:
        from harn_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def output_dir(self) -> Path:
        """Where exports and screenshots go: the current folder, unless that is inside the
        run root (harn-tui never writes there), then the home folder."""
        cwd = Path.cwd().resolve()
        root = self.root.resolve()
        return Path.home() if cwd == root or root in cwd.parents else cwd

    def action_save_screenshot(self) -> None:
        path = self.save_screenshot(path=str(self.output_dir()))
        self.notify(path, title="Screenshot saved", markup=False)

    def on_unmount(self) -> None:
        self.index.save_cache()
        # never close the index under a worker still writing it (the process exit will)
        if self.search_index is not None and self.search_lock.acquire(timeout=0.5):
            try:
                self.search_index.close()
            finally:
                self.search_lock.release()
        if self.event_log is not None:
            self.event_log.close()
