"""A run's detail: header, then the panes (Stages, Child runs, HITL, Compaction, Replay, Turns)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, LoadingIndicator, Static, TabbedContent, TabPane

from harn_tui.core import derive
from harn_tui.core.errors import HarnTuiError
from harn_tui.core.timestamps import format_duration, format_iso, parse_ms
from harn_tui.text import line
from harn_tui.widgets.pane import Pane
from harn_tui.widgets.scrubber import SCRUB_BINDINGS, AsOfMixin, TimeScrubber
from harn_tui.widgets.status import badge

if TYPE_CHECKING:
    from harn_tui.core.normalize import RunDetail
    from harn_tui.core.sessions import RunSessionsTracker

PANES = ("stages", "children", "hitl", "compaction", "replay", "turns", "lens", "waterfall")
#: A persisting parse failure is shown after this many tries (spaced by RETRY_DELAYS).
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)


def _panes() -> list[tuple[str, str, type[Pane]]]:
    from harn_tui.widgets.children import ChildrenPane
    from harn_tui.widgets.compaction import CompactionPane
    from harn_tui.widgets.compaction_lens import CompactionLens
    from harn_tui.widgets.hitl import HitlPane
    from harn_tui.widgets.replay import ReplayPane
    from harn_tui.widgets.stages import StagesPane
    from harn_tui.widgets.turns import TurnsPane
    from harn_tui.widgets.waterfall import WaterfallPane

    return [
        ("stages", "1 Stages", StagesPane),
        ("children", "2 Child runs", ChildrenPane),
        ("hitl", "3 HITL", HitlPane),
        ("compaction", "4 Compaction", CompactionPane),
        ("replay", "5 Replay", ReplayPane),
        ("turns", "6 Turns", TurnsPane),
        ("lens", "7 Lens", CompactionLens),
        ("waterfall", "8 Waterfall", WaterfallPane),
    ]


class PaneTabs(TabbedContent):
    """TabbedContent whose tab changes only by explicit choice (keys, clicks, actions).

    Textual also switches tabs when a widget inside a hidden pane gets focus; with focus
    placed asynchronously (after loads), a late focus would switch back to a pane the
    user has already left. Every focus here targets the active pane, so that rule is off.
    """

    def select(self, pane_id: str) -> None:
        self.active = pane_id

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.prevent_default()  # Textual would also run the base class handler
        event.stop()


class RunScreen(AsOfMixin, Screen[None]):
    """One run, loaded in a worker; refreshed in place when its file changes."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("1", "pane('stages')", "Stages", show=False),
        Binding("2", "pane('children')", "Children", show=False),
        Binding("3", "pane('hitl')", "HITL", show=False),
        Binding("4", "pane('compaction')", "Compaction", show=False),
        Binding("5", "pane('replay')", "Replay", show=False),
        Binding("6", "pane('turns')", "Turns", show=False),
        Binding("7", "pane('lens')", "Lens", show=False),
        Binding("8", "pane('waterfall')", "Waterfall", show=False),
        Binding("tab", "next_pane(1)", "Next pane", show=False, priority=True),
        Binding("shift+tab", "next_pane(-1)", "Prev pane", show=False, priority=True),
        Binding("f", "toggle_follow", "Follow"),
        Binding("c", "compare", "Compare"),
        Binding("r", "raw", "Raw JSON"),
        Binding("R", "raw_run", "Run JSON", show=False),
        Binding("y", "copy", "Copy"),
        Binding("p", "pager", "Pager", show=False),
        Binding("ctrl+e", "editor", "Editor", show=False),
        Binding("x", "export('md')", "Export MD", show=False),
        Binding("X", "export('json')", "Export JSON", show=False),
        Binding("u", "reload", "Reload", show=False),
        Binding("slash", "find", "Find in pane", show=False),
        Binding("n", "next_hit(1)", "Next search hit", show=False),
        Binding("N", "next_hit(-1)", "Prev search hit", show=False),
        *SCRUB_BINDINGS,
    ]

    following: reactive[bool] = reactive(False)
    #: Focus is placed by `_show` / the pane actions; Textual's auto-focus would grab the
    #: first table after mount and, in a TabbedContent, switch back to its tab.
    AUTO_FOCUS = ""

    def __init__(self, path: Path, *, trail: list[str] | None = None,
                 hits: list[Any] | None = None, hit_index: int = 0) -> None:
        super().__init__()
        self.hits = list(hits or [])
        self.hit_index = hit_index
        self.landed = ""  # the pane a search hit landed on
        self.hit_banner = Text()
        self.find_text = ""
        self.path = Path(path)
        self.trail = list(trail or [])
        self.detail: RunDetail | None = None
        self.load_error: str | None = None
        self.loaded_at = 0.0
        self.sessions: RunSessionsTracker | None = None
        self._events_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield Static(id="run-header")
        yield Static(id="run-hit")
        yield Input(placeholder="find in this pane (enter; / again for the next)", id="pane-find")
        yield TimeScrubber(id="run-scrubber")
        yield LoadingIndicator(id="run-loading")
        with PaneTabs(id="panes"):
            for pane_id, title, cls in _panes():
                with TabPane(title, id=f"pane-{pane_id}"):
                    yield cls(id=pane_id)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#panes").display = False
        self.query_one("#run-hit").display = bool(self.hits)
        self.query_one("#pane-find").display = False
        self._header_loading()
        self.load()

    def _header_loading(self) -> None:
        text = self._breadcrumb()
        text.append("loading ", style="dim")
        text.append_text(line(str(self.path), "dim"))
        text.append(" …", style="dim")
        self.query_one("#run-header", Static).update(text)

    def _breadcrumb(self) -> Text:
        text = Text()
        if self.trail:
            for crumb in self.trail:
                text.append_text(line(crumb, "dim", 30))
                text.append(" › ", style="dim")
            text.append("\n")
        return text

    # -- loading --------------------------------------------------------------

    @work(thread=True, exclusive=True, group="run-load")
    def load(self) -> None:
        """Parse and enrich the run in a worker; retry briefly on a parse failure."""
        from harn_tui.core.gcpause import gc_paused
        from harn_tui.core.normalize import load_run

        app: Any = self.app
        last: HarnTuiError | None = None
        for delay in (0.0, *RETRY_DELAYS):
            if delay:
                time.sleep(delay)
            try:
                with gc_paused():  # a GC pass over a big run's objects would stall the UI
                    detail = load_run(self.path, root=app.root)
            except HarnTuiError as exc:
                last = exc
                continue
            self.attach_events(detail)
            self.app.call_from_thread(self._show, detail)
            return
        self.app.call_from_thread(self._failed, last.reason if last else "unknown error")

    def attach_events(self, detail: RunDetail) -> None:
        """Merge HITL and agent sessions from the event log (reading only what is new)."""
        app: Any = self.app
        log = app.event_log
        if log is None:
            from harn_tui.core.normalize import attach_legacy_sessions
            from harn_tui.core.sessions import legacy_session_dirs

            detail.event_log_error = app.event_log_error
            attach_legacy_sessions(detail, legacy_session_dirs(None, None))
            return
        run_id = detail.record.id
        linked = derive.linked_session_ids(detail.normalized)
        with self._events_lock:
            self._attach_locked(detail, log, run_id, linked)

    def _attach_locked(self, detail: RunDetail, log: Any, run_id: str, linked: list[str]) -> None:
        from harn_tui.core import hitl, schema
        from harn_tui.core.sessions import RunSessionsTracker

        app: Any = self.app
        if self.sessions is None or self.sessions.run_id != run_id:
            self.sessions = RunSessionsTracker(run_id, linked)
        else:
            self.sessions.add_candidates(linked)
        try:
            asked = list(app.log_questions.poll_and_get(log, run_id)) if run_id else []
            detail.normalized["hitl_questions"] = [
                schema.fill(q, schema.HITL_QUESTION)
                for q in hitl.merge_questions(detail.normalized["hitl_questions"], asked)
            ]
            detail.hitl_states = hitl.request_states(log)
            self.sessions.poll(log)
            detail.agent_sessions = self.sessions.result()
            from harn_tui.core.normalize import attach_legacy_sessions
            from harn_tui.core.sessions import legacy_session_dirs

            attach_legacy_sessions(detail, legacy_session_dirs(None, log))
        except HarnTuiError as exc:
            detail.event_log_error = exc.reason

    @work(thread=True, exclusive=True, group="run-events")
    def refresh_events(self) -> None:
        """New event-log rows: re-merge HITL and extend sessions without re-reading the run."""
        if self.detail is None:
            return
        import copy

        detail = copy.copy(self.detail)
        detail.normalized = dict(self.detail.normalized)
        self.attach_events(detail)
        self.app.call_from_thread(self._show, detail)

    def _failed(self, reason: str) -> None:
        self.load_error = reason
        self.query_one("#run-loading").display = False
        text = self._breadcrumb()
        if self.detail is not None:
            # Keep the last good version on screen; say why it is not newer.
            self._render_header(self.detail)
            text = Text()
            text.append_text(self._header_text(self.detail))
            text.append("\n")
            text.append("⚠ latest version unreadable: ", style="bold red")
            text.append_text(line(reason, "red"))
            self.query_one("#run-header", Static).update(text)
            return
        text.append("Cannot load ", style="bold red")
        text.append_text(line(str(self.path), "bold"))
        text.append("\n")
        text.append_text(line(reason, "red"))
        self.query_one("#run-header", Static).update(text)

    def _show(self, detail: RunDetail) -> None:
        first = self.detail is None
        self.detail = detail
        self.load_error = None
        self.loaded_at = time.monotonic()
        self.query_one("#run-loading").display = False
        self.query_one("#panes").display = True
        self._render_header(detail)
        for pane in self.query(Pane):
            try:
                pane.show(detail)
            except Exception as exc:  # one pane failing must not hide the others
                self.app.notify(f"{pane.title}: {exc}", severity="error", markup=False)
        if self.following:
            self._follow()
        if first or self.focused is None:
            self.current_pane().focus_main()
        self.asof_sync(detail)
        if first and self.hits:
            self.call_after_refresh(self._land)

    def _header_text(self, detail: RunDetail) -> Text:
        run = detail.record
        text = self._breadcrumb()
        text.append_text(line(run.display_name, "bold", 40))
        text.append("  ")
        text.append_text(badge(run.status, None, 20))
        text.append("  ")
        text.append_text(line(run.id, "dim", 44))
        if self.following:
            text.append("  ◉ FOLLOWING", style="bold reverse green")
        text.append("\n")
        text.append("task ", style="dim")
        text.append_text(line(run.task or "-", "", 110))
        text.append("\n")
        started, finished = parse_ms(run.started_at), parse_ms(run.finished_at)
        text.append("started ", style="dim")
        text.append_text(line(format_iso(started) if started is not None else (run.started_at or "-"), "", 32))
        text.append("  finished ", style="dim")
        text.append_text(line(format_iso(finished) if finished is not None else (run.finished_at or "—"), "", 32))
        text.append("  duration ", style="dim")
        text.append(format_duration(detail.duration_ms) or "-")
        usage = derive.usage_of(detail.normalized)
        text.append("  tokens ", style="dim")
        text.append(f"{usage['input_tokens']:,} in / {usage['output_tokens']:,} out")
        text.append(f"  {usage['call_count']} calls", style="dim")
        text.append("\n")
        if usage["total_cost"]:
            text.append("cost ", style="dim")
            text.append(f"${usage['total_cost']:.4f}  ")
        if usage["models"]:
            text.append("models ", style="dim")
            text.append_text(line(", ".join(usage["models"]), "", 50))
            text.append("  ")
        policy = run.policy
        if policy is not None:
            text.append("policy ", style="dim")
            text.append_text(line(policy.side_effect_level or "-", "", 20))
            text.append(f" {len(policy.tools)} tools", style="dim")
            text.append("  ")
        if run.parent_run_id:
            text.append("parent ", style="dim")
            text.append_text(line(run.parent_run_id, "", 40))
            text.append("  ")
        if run.root_run_id and run.root_run_id != run.id:
            text.append("root ", style="dim")
            text.append_text(line(run.root_run_id, "", 40))
        if detail.failure:
            text.append("\n✗ ", style="bold red")
            text.append_text(line(detail.failure, "red", 140))
        return text

    def _render_header(self, detail: RunDetail) -> None:
        self.query_one("#run-header", Static).update(self._header_text(detail))

    def refresh_from_disk(self) -> None:
        """The file changed: reload in place (panes keep their cursors)."""
        self.load()

    # -- panes ----------------------------------------------------------------

    def current_pane(self) -> Pane:
        active = self.query_one("#panes", TabbedContent).active or "pane-stages"
        return self.query_one(f"#{active.removeprefix('pane-')}", Pane)

    def _focus_current_pane(self) -> None:
        """Focus the pane that is active *now* (a deferred focus of a pane the user has
        already left would switch the tabs back to it)."""
        self.current_pane().focus_main()

    def action_pane(self, pane_id: str) -> None:
        self.query_one("#panes", PaneTabs).select(f"pane-{pane_id}")
        self.call_after_refresh(self._focus_current_pane)

    def action_next_pane(self, step: int) -> None:
        tabs = self.query_one("#panes", TabbedContent)
        current = (tabs.active or "pane-stages").removeprefix("pane-")
        index = (PANES.index(current) + step) % len(PANES)
        self.action_pane(PANES[index])

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self.call_after_refresh(self._focus_current_pane)

    # -- search hits and find-in-pane ----------------------------------------------

    def _land(self) -> None:
        from harn_tui.screens.search_jump import jump

        hit = self.hits[self.hit_index]
        self._render_hit(hit)
        self.landed = jump(self, hit)

    def _render_hit(self, hit: Any) -> None:
        from harn_tui.screens.search import snippet_text

        text = Text(no_wrap=True)
        text.append(f"⌕ hit {self.hit_index + 1}/{len(self.hits)} ", style="bold")
        text.append_text(line(hit.describe(), "bold cyan", 40))
        text.append_text(line(f" [{hit.field}] ", "dim"))
        text.append_text(snippet_text(hit, 120))
        text.append("  n/N next/prev hit", style="dim")
        self.hit_banner = text
        self.query_one("#run-hit", Static).update(text)

    def action_next_hit(self, step: int) -> None:
        """Step to the next search hit: in this run, or the next run holding one."""
        if not self.hits:
            return
        index = (self.hit_index + step) % len(self.hits)
        hit = self.hits[index]
        app: Any = self.app
        if hit.path and app.root / hit.path == self.path:
            self.hit_index = index
            self._land()
            return
        app.pop_screen()
        app.open_hit(self.hits, index)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_hit" and not self.hits:
            return False
        return super().check_action(action, parameters)

    def action_find(self) -> None:
        box = self.query_one("#pane-find", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#pane-find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        from harn_tui.screens.search_jump import find_in_pane

        event.input.display = False
        self.find_text = event.value.strip()
        self._focus_current_pane()
        if self.find_text and not find_in_pane(self, self.find_text):
            self.app.notify(f"not in this pane: {self.find_text}", severity="warning",
                            markup=False)

    # -- follow ---------------------------------------------------------------

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        if self.following:
            self._follow()

    def _follow(self) -> None:
        self._following_move = True
        try:
            self.current_pane().follow()
        finally:
            self.call_after_refresh(self._end_follow_move)

    def _end_follow_move(self) -> None:
        self._following_move = False

    def watch_following(self) -> None:
        if self.detail is not None:
            self._render_header(self.detail)

    def on_key(self, event: Any) -> None:
        """Any manual navigation leaves follow mode."""
        if self.following and event.key in ("j", "k", "up", "down", "g", "G", "home", "end",
                                            "pageup", "pagedown", "ctrl+d", "ctrl+u"):
            self.following = False

    # -- actions --------------------------------------------------------------

    def action_compare(self) -> None:
        from harn_tui.screens.compare import open_compare

        open_compare(self.app, self.path)

    def action_back(self) -> None:
        box = self.query_one("#pane-find", Input)
        if box.display:
            box.display = False
            self._focus_current_pane()
            return
        self.app.pop_screen()

    def action_raw(self) -> None:
        picked = self.current_pane().selection()
        if picked is None:
            self.action_raw_run()
            return
        title, value = picked
        self.app.open_json(value, title)  # type: ignore[attr-defined]

    def action_raw_run(self) -> None:
        if self.detail is not None:
            self.app.open_json(self.detail.to_json(), self.detail.rel)  # type: ignore[attr-defined]

    def action_copy(self) -> None:
        picked = self.current_pane().selection()
        if picked is not None:
            _title, value = picked
            if isinstance(value, dict):
                for key in ("id", "request_id", "worker_id", "call_id", "event_id"):
                    if value.get(key):
                        self.app.copy_value(str(value[key]))  # type: ignore[attr-defined]
                        return
        self.app.copy_value(str(self.path))  # type: ignore[attr-defined]

    def action_pager(self) -> None:
        self.app.open_in_pager(self.path)  # type: ignore[attr-defined]

    def action_editor(self) -> None:
        self.app.open_in_pager(self.path, editor=True)  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.load()

    def action_export(self, kind: str) -> None:
        if self.detail is None:
            return
        from harn_tui.export import export_run

        try:
            target = export_run(self.detail, kind, self.app.output_dir())  # type: ignore[attr-defined]
        except OSError as exc:
            self.app.notify(f"export failed: {exc}", severity="error", markup=False)
            return
        self.app.notify(str(target), title="Exported", markup=False)
