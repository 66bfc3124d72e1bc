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

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.signal import Signal

from harn_tui.core.format import clock
from harn_tui.core.format.errors import HarnTuiError
from harn_tui.core.index.run_index import RunIndex
from harn_tui.core.index.summary import RunSummary
from harn_tui.core.search.query import RegexTimeout
from harn_tui.messages import (
    Copy,
    EventLogAppeared,
    EventLogChanged,
    EventLogLoaded,
    OpenJson,
    OpenRun,
    OpenStage,
    OpenText,
    RootStatus,
    RunFileChanged,
    RunsChanged,
    SearchIndexChanged,
)
from harn_tui.widgets.textual_compat import forward_key, refresh_truecolor_filter

if TYPE_CHECKING:
    from harn_tui.core.eventlog.protocol import EventLog

#: The text index waits until the keys and the mouse have been still this long.
USER_QUIET_SECONDS = 1.0


def read_only_copy(path: Path, root: Path) -> Path:
    """A copy of `path` in a new temp folder outside `root`, with its mode set read-only."""
    import shutil

    base: str | None = None
    tmp = Path(tempfile.gettempdir()).resolve()
    if tmp == root or root in tmp.parents:  # never write inside the run root
        from platformdirs import user_cache_dir

        base = user_cache_dir("harn-tui")
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="harn-tui-copy-", dir=base))
    copy = folder / path.name
    shutil.copyfile(path, copy)
    copy.chmod(0o444)
    return copy


class LoadState:
    """How far the first load has got: the root scan, the run list it fills, the event-log
    lookup. The App advances it; everything else only reads it (``app.load``)."""

    INDEXING_NOTE = "indexing…"

    def __init__(self) -> None:
        self._scanned = threading.Event()  # set from the scan thread
        self._listed = False
        self._log_looked_up = False
        self._ready = False

    @property
    def scanned(self) -> bool:
        """The scan thread is done (its last rows may still be on their way to the list)."""
        return self._scanned.is_set()

    @property
    def indexing(self) -> bool:
        """The run list is still being filled by the first scan."""
        return not self._listed

    @property
    def note(self) -> str:
        """The header's loading text ("" once the run list is complete)."""
        return self.INDEXING_NOTE if self.indexing else ""

    @property
    def ready(self) -> bool:
        """The run list is complete and the event log was looked for (found or not)."""
        return self._ready

    def wait_scanned(self, timeout: float) -> bool:
        """Block (a worker thread) until the scan is done or `timeout` passes."""
        return self._scanned.wait(timeout)

    # -- advanced by the App only; each returns whether this step made the load ready

    def scan_done(self) -> None:
        self._scanned.set()

    def runs_listed(self) -> bool:
        self._listed = True
        return self._settle()

    def event_log_looked_up(self) -> bool:
        self._log_looked_up = True
        return self._settle()

    def _settle(self) -> bool:
        if self._ready or not (self._listed and self._log_looked_up and self.scanned):
            return False
        self._ready = True
        return True


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
        from harn_tui.core.format.locations import absolute_path

        # Resolved once here: watcher events arrive as absolute paths.
        self.root = absolute_path(root)
        self.run_file = absolute_path(run_file) if run_file is not None else None
        self.events_arg = absolute_path(events) if events is not None else None
        self.cache_dir = cache_dir
        self.poll = poll
        self.watch_enabled = watch
        self.runs: dict[str, RunSummary] = {}
        self.index = RunIndex(self.root, cache_dir=cache_dir, background=True)
        self.event_log: EventLog | None = None
        self.event_log_error: str | None = None
        #: One line when no event log was found (where it was looked for, the flag to give).
        self.event_log_note = ""
        self.root_note = ""
        self.index_lock = threading.Lock()
        self._load = LoadState()
        self.log_poll_lock = threading.Lock()
        self.log_poll_running = False
        self.log_poll_again = False
        from harn_tui.core.eventlog.hitl import QuestionIndex

        self.log_questions = QuestionIndex()
        # -- what changed, published once for every screen that shows it (screens subscribe
        # on mount; a screen that is gone drops out by itself).
        #: The run list's summaries (`runs`) changed: RunsScreen, then CostsScreen.
        self.runs_changed: Signal[None] = Signal(self, "runs-changed")
        #: A run file under the root changed: RunScreen (its own file, its children's).
        self.run_file_changed: Signal[RunFileChanged] = Signal(self, "run-file-changed")
        #: New rows may be in the event log: RunScreen, DlqScreen.
        self.event_log_changed: Signal[EventLogChanged] = Signal(self, "event-log-changed")
        #: Published once, when `load.ready` turns true.
        self.index_ready: Signal[None] = Signal(self, "index-ready")
        #: The full-text index took in changes: SearchScreen, RunsScreen (`text~` queries).
        self.search_changed: Signal[None] = Signal(self, "search-changed")
        self._log_appeared = False
        #: When a key or the mouse was last used (the text index waits meanwhile).
        self._last_input = 0.0
        #: id(key event) -> the widget it was sent to (see `on_event`).
        self._key_targets: dict[int, object] = {}
        from harn_tui.core.config.prefs import Preferences

        #: Theme and sort, remembered across starts in the user config dir (never the run root).
        self.prefs = Preferences(forbidden=self.root).load()
        remembered = self.prefs.get("theme")
        self._shutting_down = threading.Event()  # set once on unmount: background work stops
        self.search_index: Any = None  # core.search_index.SearchIndex, built after first paint
        self.search_lock = threading.Lock()
        self.search_ready = threading.Event()
        self.search_note = "indexing text…"
        self.search_stale: set[Path] = set()
        self.search_stale_lock = threading.Lock()
        if theme:
            self.theme = theme
        elif remembered in self.available_themes:
            self.theme = remembered

    @property
    def ansi_theme(self):  # type: ignore[no-untyped-def,override]
        """Named colours (`red`, `green`, …) drawn with the current theme's semantic colours."""
        from harn_tui.widgets.palette import terminal_theme

        theme = self.current_theme
        cache = self.__dict__.setdefault("_ansi_themes", {})
        if theme.name not in cache:
            cache[theme.name] = terminal_theme(theme)
        return cache[theme.name]

    def watch_theme(self, name: str) -> None:
        """A theme chosen in the app (palette: Change theme) is remembered; start-up
        (the default, `--theme`, the remembered one) writes nothing."""
        prefs = getattr(self, "prefs", None)
        if prefs is not None and getattr(self, "_prefs_live", False):
            prefs.set("theme", name)

    # -- keys -----------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """A key goes to the widget focused when it is handled, not when it was read.

        Textual hands each key to the focused widget as it reads it, so in a burst (a paste,
        tmux `send-keys`, a fast typist) the keys after `/` are all queued on the list before
        `/` moves focus to the filter. A key that comes back unhandled from a widget that
        has lost focus since is sent again to the widget that has it now.
        """
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown,
                              events.MouseScrollUp)):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                if len(self._key_targets) > 256:
                    self._key_targets.clear()
                self._key_targets[id(event)] = self.focused
            else:
                target = self._key_targets.pop(id(event), None)
                focused = self.focused
                if target is not None and focused is not None and focused is not target:
                    again = events.Key(event.key, event.character)
                    again.set_sender(self)
                    self._key_targets[id(again)] = focused
                    forward_key(focused, again)
                    return
        await super().on_event(event)

    # -- start-up -------------------------------------------------------------

    def on_mount(self) -> None:
        from harn_tui.screens.runs import RunsScreen

        refresh_truecolor_filter(self, self.ansi_theme)
        self._prefs_live = True

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
            from harn_tui.live import RootWatcher

            watcher = RootWatcher(
                self.root, self.index, self.index_lock, self.post_message, self.poll,
                on_paths=self.search_update, on_rescan=self._search_rescan,
            )
            self.run_worker(watcher.run(), exclusive=True, group="watch-root", name="watch-root")

    @work(thread=True, exclusive=True, group="scan", name="scan")
    def scan_root(self) -> None:
        """Index the root in the background, streaming rows in batches."""
        if not self.root.is_dir():
            self._load.scan_done()
            self.post_message(RunsChanged([], [], done=True))  # nothing to index: ready once the log is
            return

        def batch(rows: list[RunSummary]) -> None:
            self.post_message(RunsChanged(rows, []))

        with self.index_lock:
            try:
                runs = self.index.scan(on_batch=batch)
            except OSError as exc:
                self.post_message(RootStatus(False, str(exc)))
                return
        self._load.scan_done()
        self.post_message(RunsChanged(runs, [], done=True))

    @work(thread=True, group="eventlog", name="eventlog")
    def load_event_log(self) -> None:
        from harn_tui.core.eventlog.opener import open_default_event_log
        from harn_tui.core.format.locations import missing_event_log_note

        try:
            self.event_log = open_default_event_log(self.events_arg, os.environ, Path.cwd(), self.root)
        except HarnTuiError as exc:
            self.event_log_error = exc.reason
        self.event_log_note = ""
        if self.event_log is None and self.event_log_error is None:
            self.event_log_note = missing_event_log_note(os.environ, Path.cwd(), self.root)
        self.post_message(EventLogLoaded())  # the header says which log is read, or none
        self.poll_event_log()

    def on_event_log_loaded(self, message: EventLogLoaded) -> None:
        """The log was looked for: the list's header says which is read; the log watcher
        follows its files, or looks for it again while there is none."""
        self.refresh_run_list()
        if self._load.event_log_looked_up():
            self.index_ready.publish(None)
        if not self.watch_enabled:
            return
        from harn_tui import live

        log = self.event_log
        if log is not None:
            paths = log.watch_paths()
            self.run_worker(live.watch_log_files(paths, self.post_message, self.poll),
                            exclusive=True, group="watch-log", name="watch-log")
            if self._log_appeared:
                self.post_message(EventLogChanged())  # open runs merge it too
        elif self.events_arg is None and self.event_log_error is None:
            self.run_worker(live.watch_log_appears(self.root, self.post_message),
                            exclusive=True, group="watch-log", name="watch-log")

    def on_event_log_appeared(self, message: EventLogAppeared) -> None:
        self._log_appeared = True
        self.load_event_log()

    # -- full-text search ------------------------------------------------------

    @work(thread=True, exclusive=True, group="search-index", name="search-index")
    def build_search_index(self) -> None:
        """Open the full-text index and bring it up to date (only changed files are read)."""
        from harn_tui.core.search.engine import open_index

        self._load.wait_scanned(120)  # the run list first: indexing text never competes with it
        deadline = time.monotonic() + 10
        while not self._load.ready and time.monotonic() < deadline:  # ...nor with its drawing
            if self._shutting_down.wait(0.05):
                return
        if self._shutting_down.is_set():
            return
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
                    self.search_index = open_index(self.root, self.cache_dir, background=True)
                if self.root.is_dir() and not self._shutting_down.is_set():
                    self.search_index.sync(on_progress=progress, pause=self._yield_to_user)
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

    def _yield_to_user(self) -> None:
        """Hold the text index while the app is being used (a key or the mouse in the last
        USER_QUIET_SECONDS): its writes would take the GIL from the keys and the filter."""
        while time.monotonic() - self._last_input < USER_QUIET_SECONDS:
            if self._shutting_down.wait(0.05):
                return

    def _search_poll_events(self) -> None:
        if self.event_log is not None and self.search_index is not None:
            with contextlib.suppress(HarnTuiError):
                self.search_index.poll_events(self.event_log)

    def _search_rescan(self) -> None:
        """Folders appeared or vanished (watcher thread): bring the text index up to date."""
        if self.search_ready.is_set():
            self.call_from_thread(self.build_search_index)

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

    def search_hits(self, text: str, *, regex: bool = False, limit: int | None = None,
                    regex_seconds: float = 3.0) -> list[Any]:
        """Hits for a search typed in the app (any thread; its own connection to the index).

        A regex stopped by `regex_seconds` raises RegexTimeout, its `hits` those found so far.
        """
        from harn_tui.core.search.query import parse_search, run_search

        index = self.search_index
        if index is None:
            return []
        query = parse_search(text, regex=regex)
        allowed = None
        if query.where:
            allowed = self.where_paths(query.where)
        if regex:
            from harn_tui.core.search.engine import _bounded

            result = _bounded(index, query, allowed, limit, regex_seconds)
            if result.timed_out:
                stopped = RegexTimeout(result.timed_out)
                stopped.hits = result.hits  # type: ignore[attr-defined]
                raise stopped
            return result.hits
        conn = index.reader()
        try:
            return list(run_search(conn, query, allowed=allowed, limit=limit))
        finally:
            conn.close()

    def where_paths(self, where: str) -> set[str]:
        from harn_tui.core.analysis.query import filter_runs, parse_query

        query = parse_query(where)
        if query.text_sets:
            query.bind_text(self.text_paths)
        return {r.path for r in filter_runs(list(self.runs.values()), query, clock.now_ms())}

    def text_paths(self, needle: str) -> set[str]:
        """Run paths whose text holds `needle` (for `text~` in the query bar)."""
        from harn_tui.core.search.engine import paths_matching

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
        self.search_changed.publish(None)

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
        count = self.log_questions.request_count(run.id, run.hitl_request_ids)
        if count is not None:
            run.hitl_question_count = count
        return run

    def on_runs_changed(self, message: RunsChanged) -> None:
        if message.done:
            self.runs.clear()  # the one dict of summaries: panes and screens hold it
        for run in message.changed:
            self.runs[run.path] = self.with_log_hitl(run)
        for rel in message.removed:
            self.runs.pop(rel, None)
        if message.hitl_changed:
            for run in self.runs.values():
                self.with_log_hitl(run)
        became_ready = message.done and self._load.runs_listed()
        self.refresh_run_list()
        if became_ready:
            self.index_ready.publish(None)

    @property
    def load(self) -> LoadState:
        """How far the first load has got (read-only: the App's workers advance it)."""
        return self._load

    def when_index_ready(self, node: Any, callback: Any, timeout: float) -> None:
        """Call `callback()` once on `node` when the index is ready (now, if it is), or after
        `timeout` seconds at the latest (a root that cannot be read never gets ready)."""
        done = False

        def once(_data: object = None) -> None:
            nonlocal done
            if not done:
                done = True
                callback()

        if self._load.ready:
            once()
            return
        self.index_ready.subscribe(node, once)
        node.set_timer(timeout, once)

    def on_run_file_changed(self, message: RunFileChanged) -> None:
        self.run_file_changed.publish(message)

    def on_event_log_changed(self, message: EventLogChanged) -> None:
        # Coalesce: while a poll runs, further changes just ask it to go round once more.
        with self.log_poll_lock:
            self.log_poll_again = True
            start = not self.log_poll_running
            self.log_poll_running = True
        if start:
            self.run_worker(self._poll_event_log_loop, thread=True, group="eventlog-poll")
        self.event_log_changed.publish(message)

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
        """Tell the screens that show the summaries (the list first: costs follow its rows,
        and a costs screen is only ever pushed, so subscribed, after its list)."""
        self.runs_changed.publish(None)

    # -- navigation -----------------------------------------------------------

    def open_run(self, run: RunSummary) -> None:
        if run.broken:
            self.open_broken(run)
            return
        self.open_path(self.root / run.path, on_failure=run.status_group == "failed")

    def open_broken(self, run: RunSummary) -> None:
        """A broken file: its reason and its first bytes, escaped."""
        from harn_tui.core.index.broken import describe_broken

        text = describe_broken(self.root / run.path, run.error or "", rel=run.path)
        self.open_text(text, f"broken file {run.path}")

    def open_path(self, path: Path, *, trail: list[str] | None = None, on_failure: bool = False) -> None:
        from harn_tui.screens.run import RunScreen

        self.push_screen(RunScreen(Path(path), trail=trail or [], on_failure=on_failure))

    def open_raw_file(self, rel: str) -> None:
        from harn_tui.screens.json_view import JsonScreen

        self.push_screen(JsonScreen.from_file(self.root / rel, title=f"raw file · {rel}"))

    def open_json(self, value: Any, title: str) -> None:
        from harn_tui.screens.json_view import JsonScreen

        self.push_screen(JsonScreen(value, title=title))

    def open_text(self, text: str, title: str) -> None:
        from harn_tui.screens.text_view import TextScreen

        self.push_screen(TextScreen(text, title=title))

    # -- requests from widgets (harn_tui/messages.py) ---------------------------

    def on_open_json(self, message: OpenJson) -> None:
        if message.path is not None:
            from harn_tui.screens.json_view import JsonScreen

            self.push_screen(JsonScreen.from_file(message.path, title=message.title))
        else:
            self.open_json(message.value, message.title)

    def on_open_text(self, message: OpenText) -> None:
        self.open_text(message.text, message.title)

    def on_open_run(self, message: OpenRun) -> None:
        self.open_path(message.path, trail=message.trail)

    def on_open_stage(self, message: OpenStage) -> None:
        from harn_tui.screens.stage import StageScreen

        self.push_screen(StageScreen(message.detail, message.index))

    def on_copy(self, message: Copy) -> None:
        self.copy_value(message.text)

    # -- hand-off -------------------------------------------------------------

    def copy_value(self, text: str) -> None:
        self.copy_to_clipboard(text)
        shown = text if len(text) < 80 else text[:77] + "…"
        self.notify(shown, title="Copied", markup=False)

    def open_in_pager(self, target: Path | str, *, editor: bool = False) -> None:
        """Open a file (or a text, via a temp file) in $PAGER / $EDITOR.

        $EDITOR never gets the real file: it gets a read-only temporary copy outside the
        run root (harn-tui is read-only on the root). The pager runs with LESSSECURE=1, so
        `less` cannot start an editor or a shell on the real file either."""
        if self.served:  # the keys are hidden; a stray call must not try App.suspend
            command = "$EDITOR" if editor else "$PAGER"
            self.notify(f"{command} needs a terminal: not available in a browser", severity="warning", markup=False)
            return
        path: Path
        cleanup: Path | None = None
        note = ""
        if isinstance(target, Path) and editor:
            path = read_only_copy(target, self.root)
            cleanup = path.parent
            note = f"read-only copy of {target.name} (edits do not reach the run file): {path}"
        elif isinstance(target, Path):
            path = target
        else:
            folder = Path(tempfile.mkdtemp(prefix="harn-tui-"))
            path = folder / "view.txt"
            path.write_text(target, encoding="utf-8", errors="replace")
            path.chmod(0o444)
            cleanup = folder
        command = os.environ.get("EDITOR" if editor else "PAGER") or ("vi" if editor else "less -R")
        env = {**os.environ, "LESSSECURE": "1"}
        try:
            if note:
                self.notify(note, title=f"Opening in {command}", markup=False)
            with self.suspend():
                subprocess.run([*shlex.split(command), str(path)], check=False, env=env)
        except Exception as exc:  # no terminal to hand over (headless, web)
            self.notify(f"cannot open {command}: {exc}", severity="error", markup=False)
        finally:
            if cleanup is not None:
                import shutil

                shutil.rmtree(cleanup, ignore_errors=True)

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
        from harn_tui.core.format.textsafe import visible

        super().notify(
            visible(str(message)), title=visible(str(title)), severity=severity,
            timeout=timeout, markup=False,
        )

    def action_help_quit(self) -> None:
        """ctrl+c: say how to quit, in plain text (Textual's own message is markup)."""
        keys = [
            self.get_key_display(active.binding) or key
            for key, active in self.active_bindings.items()
            if active.binding.action in ("quit", "app.quit")
        ]
        if keys:
            self.notify(f"Press {' or '.join(dict.fromkeys(keys))} to quit the app", title="Do you want to quit?")

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

    @property
    def served(self) -> bool:
        """True in a browser (`harn-tui serve`): files go out as downloads, no pager or editor."""
        from harn_tui.served import is_served

        return is_served(self)

    def action_save_screenshot(self) -> None:
        if self.served:
            self.deliver_screenshot()
            self.notify("the SVG is downloading in your browser", title="Screenshot", markup=False)
            return
        path = self.save_screenshot(path=str(self.output_dir()))
        self.notify(path, title="Screenshot saved", markup=False)

    def hand_over_text(self, name: str, text: str, title: str) -> None:
        """Give the user a text file: a browser download when served, else a file in `output_dir()`."""
        import io
        import mimetypes

        if self.served:
            mime = mimetypes.guess_type(name)[0] or "text/plain"
            self.deliver_text(io.StringIO(text), save_filename=name, open_method="download", mime_type=mime)
            self.notify(f"{name} is downloading in your browser", title=title, markup=False)
            return
        target = self.output_dir() / name
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"could not write {target}: {exc}", severity="error", markup=False)
            return
        self.notify(str(target), title=title, markup=False)

    def on_unmount(self) -> None:
        # Indexing threads stop after their current batch, so quitting never waits for a
        # cold index of a large root (the process exit joins those threads).
        self._shutting_down.set()
        self.index.cancel()
        if self.search_index is not None:
            self.search_index.cancel()
        self._load.scan_done()  # release a search build still waiting for the scan
        if self.index_lock.acquire(timeout=0.5):  # a cancelled scan saves its own progress
            try:
                self.index.save_cache()
            finally:
                self.index_lock.release()
        # never close the index under a worker still writing it (the process exit will)
        if self.search_index is not None and self.search_lock.acquire(timeout=0.5):
            try:
                self.search_index.close()
            finally:
                self.search_lock.release()
        if self.event_log is not None:
            self.event_log.close()
