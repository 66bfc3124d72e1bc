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
from textual.signal import Signal
from textual.widgets import Input, LoadingIndicator, Static, TabbedContent, TabPane, Tabs

from harn_tui.core.format import derive
from harn_tui.core.format.errors import HarnTuiError
from harn_tui.core.format.plural import plural
from harn_tui.core.format.timestamps import format_duration, format_iso, parse_ms
from harn_tui.core.index.watch import RETRY_DELAYS
from harn_tui.messages import Copy, OpenJson, RunFileChanged
from harn_tui.served import TerminalOnlyKeys
from harn_tui.text import line
from harn_tui.widgets.fields import FieldBlock, pack
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.panes.pane import Pane, PaneContext
from harn_tui.widgets.scrubber import SCRUB_BINDINGS, AsOfMixin, TimeScrubber
from harn_tui.widgets.status import badge
from harn_tui.widgets.textual_compat import jump_tab_underline

if TYPE_CHECKING:
    from harn_tui.core.analysis.action_graph import LiveGraph
    from harn_tui.core.eventlog.attach import RunAttacher
    from harn_tui.core.format.normalize import RunDetail

PANES = ("stages", "children", "hitl", "compaction", "replay", "turns", "lens", "waterfall", "graph")
#: Tab titles used below FULL_TITLES_WIDTH columns, so nine tabs fit in 80.
SHORT_TITLES = {"children": "2 Child", "compaction": "4 Compact"}
FULL_TITLES_WIDTH = 90

#: Event-log rows per session read before the detail is first shown; the rest follow in
#: pages of REST_PAGE_ROWS (a 1M-row topic shows its first screen at once).
FIRST_PAGE_ROWS = 5_000
REST_PAGE_ROWS = 250_000
#: Least time between two re-renders for new event-log rows (the flood of agent events
#: otherwise keeps the UI thread re-rendering the detail and starves everything else).
EVENTS_REFRESH_S = 0.25


def _panes() -> list[tuple[str, str, type[Pane]]]:
    from harn_tui.widgets.panes.action_graph import ActionGraphPane
    from harn_tui.widgets.panes.children import ChildrenPane
    from harn_tui.widgets.panes.compaction import CompactionPane
    from harn_tui.widgets.panes.compaction_lens import CompactionLens
    from harn_tui.widgets.panes.hitl import HitlPane
    from harn_tui.widgets.panes.replay import ReplayPane
    from harn_tui.widgets.panes.stages import StagesPane
    from harn_tui.widgets.panes.turns import TurnsPane
    from harn_tui.widgets.panes.waterfall import WaterfallPane

    return [
        ("stages", "1 Stages", StagesPane),
        ("children", "2 Child runs", ChildrenPane),
        ("hitl", "3 HITL", HitlPane),
        ("compaction", "4 Compaction", CompactionPane),
        ("replay", "5 Replay", ReplayPane),
        ("turns", "6 Turns", TurnsPane),
        ("lens", "7 Lens", CompactionLens),
        ("waterfall", "8 Waterfall", WaterfallPane),
        ("graph", "9 Graph", ActionGraphPane),
    ]


class PaneTabs(TabbedContent):
    """TabbedContent whose tab changes only by explicit choice (keys, clicks, actions).

    Textual also switches tabs when a widget inside a hidden pane gets focus; with focus
    placed asynchronously (after loads), a late focus would switch back to a pane the
    user has already left. Every focus here targets the active pane, so that rule is off.
    """

    def select(self, pane_id: str) -> None:
        self.active = pane_id

    def on_mount(self) -> None:
        # The tab underline slides for 0.3 s after each switch (re-rendering the tab bar every
        # frame while the new pane draws): it jumps instead.
        jump_tab_underline(self.query_one(Tabs))

    def on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        """Focus inside a pane never switches the tab."""
        event.prevent_default()  # Textual would also run the base class handler
        event.stop()


class RunScreen(TerminalOnlyKeys, AsOfMixin, Screen[None]):
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
        Binding("9", "pane('graph')", "Action graph", show=False),
        Binding("tab", "next_pane(1)", "Next pane", show=False, priority=True),
        Binding("shift+tab", "next_pane(-1)", "Prev pane", show=False, priority=True),
        Binding("e", "next_error", "Next error"),
        Binding("O", "overview", "Overview"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("c", "compare", "Compare"),
        Binding("r", "raw", "Raw JSON"),
        Binding("R", "raw_run", "Raw file (its bytes as JSON)", show=False),
        Binding("J", "normalized_run", "Normalized record (defaults, derived keys)", show=False),
        Binding("y", "copy", "Copy"),
        Binding("p", "pager", "Pager", show=False),
        Binding("ctrl+e", "editor", "Editor (read-only copy)", show=False),
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

    def __init__(self, path: Path, *, trail: list[str] | None = None, on_failure: bool = False,
                 hits: list[Any] | None = None, hit_index: int = 0) -> None:
        super().__init__()
        self.hits = list(hits or [])
        self.hit_index = hit_index
        self.landed = ""  # the pane a search hit landed on
        self.hit_banner = Text()
        self.find_text = ""
        self.path = Path(path)
        self.trail = list(trail or [])
        #: Open on the failing stage (Enter on a failed run in the list).
        self.on_failure = on_failure
        self._failures: list[Any] | None = None
        self._fail_cursor = -1
        self.detail: RunDetail | None = None
        #: The event log's HITL and sessions for this run, read incrementally.
        self.attacher: RunAttacher | None = None
        self.live_graph: LiveGraph | None = None
        self._events_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._refreshing = False
        self._refresh_again = False
        self._paging = False
        #: Published with each detail shown (its overview and an inbox jump follow it).
        self.shown: Signal[RunDetail] = Signal(self, "run-shown")

    def compose(self) -> ComposeResult:
        yield FieldBlock(id="run-header")
        yield Static(id="run-hit")
        yield Input(placeholder="find in this pane (enter; / again for the next)", id="pane-find")
        yield TimeScrubber(id="run-scrubber")
        yield LoadingIndicator(id="run-loading")
        with PaneTabs(id="panes"):
            for pane_id, title, cls in _panes():
                with TabPane(title, id=f"pane-{pane_id}"):
                    pane = cls(id=pane_id)
                    pane.context = self.pane_context()
                    yield pane
        yield KeyFooter()

    def pane_context(self) -> PaneContext:
        """What the panes may know of the App: the root, its live index, the event log's state."""
        app: Any = self.app

        def missing() -> str | None:
            return None if getattr(app, "event_log", None) is not None else getattr(app, "event_log_note", "")

        index = getattr(app, "index", None)
        return PaneContext(
            root=getattr(app, "root", None),
            runs=getattr(app, "runs", {}),
            relative=index.relative if index is not None else PaneContext.relative,
            watch=bool(getattr(app, "watch_enabled", False)),
            poll=getattr(app, "poll", None),
            event_log_missing=missing,
        )

    def on_resize(self) -> None:
        """Nine tab titles fit in 80 columns with two of them shortened."""
        full = self.size.width >= FULL_TITLES_WIDTH
        panes = self.query_one("#panes", TabbedContent)
        for pane_id, title, _cls in _panes():
            if pane_id in SHORT_TITLES:
                tab = panes.get_tab(f"pane-{pane_id}")
                wanted = title if full else SHORT_TITLES[pane_id]
                if tab.label_text != wanted:  # a relabel re-lays the tab bar out
                    tab.label = wanted

    def on_mount(self) -> None:
        self.query_one("#panes").display = False
        self.query_one("#run-hit").display = bool(self.hits)
        self.query_one("#pane-find").display = False
        self._header_loading()
        self.load()
        app: Any = self.app
        app.run_file_changed.subscribe(self, self._run_file_changed, immediate=True)
        app.event_log_changed.subscribe(self, lambda _: self.refresh_events(), immediate=True)

    def _run_file_changed(self, message: RunFileChanged) -> None:
        """A file under the root changed: this run's own (re-read it) or a child's (its row follows)."""
        from harn_tui.widgets.panes.children import ChildrenPane

        if self.app.index.relative(self.path) == message.rel:  # type: ignore[attr-defined]
            self.refresh_from_disk()
        for pane in self.query(ChildrenPane):
            if message.rel in pane.child_rels():
                pane.rerender()

    def _header_loading(self) -> None:
        text = self._breadcrumb()
        text.append("loading ", style="dim")
        text.append_text(line(str(self.path), "dim"))
        text.append(" …", style="dim")
        self.query_one("#run-header", FieldBlock).update(text)

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
        from harn_tui.core.format.gcpause import gc_paused
        from harn_tui.core.format.normalize import load_run

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
            self.attach_events(detail, limit=FIRST_PAGE_ROWS)
            self.app.call_from_thread(self._show, detail)
            if self.attacher is not None and self.attacher.more:
                self.refresh_events()  # the rest, page by page
            return
        self.app.call_from_thread(self._failed, last.reason if last else "unknown error")

    def attach_events(self, detail: RunDetail, limit: int | None = None) -> None:
        """Merge HITL and agent sessions from the event log (reading only what is new)."""
        from contextlib import nullcontext

        from harn_tui.core.eventlog.attach import RunAttacher
        from harn_tui.core.eventlog.sessions import legacy_session_dirs
        from harn_tui.core.format.gcpause import gc_paused

        app: Any = self.app
        log = app.event_log
        with self._events_lock:
            if self.attacher is None or self.attacher.log is not log:
                self.attacher = RunAttacher(
                    log, legacy_dirs=legacy_session_dirs(None, log), questions=app.log_questions
                )
            attacher = self.attacher
            attacher.log_error = app.event_log_error  # reported while there is no log
            # Collections over a big page of fresh events hold the GIL for 100+ ms: pause them
            # while a session pages in. (Not for the small live refreshes: each pause promotes
            # every young object, garbage included, to the oldest generation: RSS then grows.)
            big = log is not None and (attacher.sessions is None or attacher.more)
            with gc_paused() if big else nullcontext():
                if attacher.attach(detail, limit) and log is not None:
                    try:
                        self._poll_live_graph(detail, log, detail.record.id)
                    except HarnTuiError as exc:
                        detail.event_log_error = exc.reason
                if log is not None:
                    self._timeline_rows(detail)

    def _timeline_rows(self, detail: RunDetail) -> None:
        """Replay rows built here, in the worker (a 1M-event session takes seconds)."""
        from harn_tui.core.analysis.timeline import build_timeline

        cache: dict[str, tuple[int, Any]] = getattr(self, "_rows_cache", {})
        fresh: dict[str, tuple[int, Any]] = {}
        for sid, events in detail.agent_sessions.items():
            hit = cache.get(sid)
            fresh[sid] = hit if hit and hit[0] == len(events) else (len(events), build_timeline(events))
        self._rows_cache = fresh
        detail.session_rows = {sid: rows for sid, (_, rows) in fresh.items()}

    def _poll_live_graph(self, detail: RunDetail, log: Any, run_id: str) -> None:
        """`observability.action_graph` updates for this run (the portal's live stream)."""
        from harn_tui.core.analysis import action_graph

        nodes = detail.normalized["observability"]["action_graph_nodes"]
        trace_id = action_graph.trace_id_of(nodes)
        if self.live_graph is None or (self.live_graph.run_id, self.live_graph.trace_id) != (run_id, trace_id):
            self.live_graph = action_graph.LiveGraph(run_id, trace_id)
        self.live_graph.poll(log)
        detail.live_graph = list(self.live_graph.updates)

    def refresh_events(self) -> None:
        """New event-log rows: re-merge HITL and extend sessions without re-reading the run.

        Coalesced: while a refresh runs, further calls only ask it to go round once more
        (under a flood of agent events, one re-render per round instead of one per change).
        """
        with self._refresh_lock:
            self._refresh_again = True
            if self._refreshing:
                return
            self._refreshing = True
        self._refresh_events_worker()

    @work(thread=True, group="run-events")
    def _refresh_events_worker(self) -> None:
        import copy

        try:
            while True:
                with self._refresh_lock:
                    if not self._refresh_again:
                        self._refreshing = False
                        return
                    self._refresh_again = False
                current = self.detail
                if current is None:
                    continue
                detail = copy.copy(current)
                detail.normalized = dict(current.normalized)
                self.attach_events(detail, limit=REST_PAGE_ROWS)
                self.app.call_from_thread(self._show, detail)
                if self.attacher is not None and self.attacher.more:
                    with self._refresh_lock:
                        self._refresh_again = True  # the next page
                    self._paging = True
                else:
                    if self._paging:  # a big session is in: keep the cyclic GC off its objects
                        self._paging = False
                        import gc

                        gc.freeze()
                    time.sleep(EVENTS_REFRESH_S)  # a flood re-renders a few times a second
        except BaseException:
            with self._refresh_lock:
                self._refreshing = False
            raise

    def _failed(self, reason: str) -> None:
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
            self.query_one("#run-header", FieldBlock).update(text)
            return
        text.append("Cannot load ", style="bold red")
        text.append_text(line(str(self.path), "bold"))
        text.append("\n")
        text.append_text(line(reason, "red"))
        self.query_one("#run-header", FieldBlock).update(text)

    def _show(self, detail: RunDetail) -> None:
        first = self.detail is None
        self.detail = detail
        self._failures = None
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
        if first and self.on_failure:
            self.call_after_refresh(self.open_on_failure)
        self.asof_sync(detail)
        if first and self.hits:
            self.call_after_refresh(self._land)
        self.shown.publish(detail)

    def _header_rows(self, detail: RunDetail) -> list[list[Text]]:
        """The header as rows of fields (a field never breaks across lines)."""
        run = detail.record

        def field(name: str, value: Text | str, style: str = "") -> Text:
            out = Text(no_wrap=True, end="")
            if name:
                out.append(f"{name} ", style="dim")
            out.append_text(value if isinstance(value, Text) else line(value, style))
            return out

        rows: list[list[Text]] = []
        if self.trail:
            crumbs = Text(no_wrap=True, end="")
            for crumb in self.trail:
                crumbs.append_text(line(crumb, "dim", 30))
                crumbs.append(" › ", style="dim")
            rows.append([crumbs])
        title = [line(run.display_name, "bold", 40), badge(run.status, None, 20), line(run.id, "dim", 44)]
        if self.following:
            title.append(Text("◉ FOLLOWING", style="bold reverse green"))
        rows.append(title)
        rows.append([field("task", line(run.task or "-", "", 110))])
        started, finished = parse_ms(run.started_at), parse_ms(run.finished_at)
        usage = derive.usage_of(detail.normalized)
        rows.append([
            field("started", line(format_iso(started) if started is not None else (run.started_at or "-"), "", 32)),
            field("finished", line(format_iso(finished) if finished is not None else (run.finished_at or "—"), "", 32)),
            field("duration", format_duration(detail.duration_ms) or "-"),
            field("tokens", f"{usage['input_tokens']:,} in / {usage['output_tokens']:,} out"),
            Text(plural(usage["call_count"], "call"), style="dim"),
        ])
        extra: list[Text] = []
        from harn_tui.core.analysis.costs import llm_rows
        from harn_tui.core.format.numbers import fmt_usd

        cost = sum(row[5] for row in llm_rows(detail.normalized))
        if cost:
            extra.append(field("cost", fmt_usd(cost)))
        if usage["models"]:
            extra.append(field("models", line(", ".join(usage["models"]), "", 50)))
        policy = run.policy
        if policy is not None:
            value = line(policy.side_effect_level or "-", "", 20)
            value.append(f" {plural(len(policy.tools), 'tool')}", style="dim")
            grants = derive.execution_grants(detail.normalized)
            if grants:
                value.append(f" {plural(len(grants), 'grant')}", style="dim")
            extra.append(field("policy", value))
        if run.parent_run_id:
            extra.append(field("parent", line(run.parent_run_id, "", 40)))
        if run.root_run_id and run.root_run_id != run.id:
            extra.append(field("root", line(run.root_run_id, "", 40)))
        if extra:
            rows.append(extra)
        if detail.failure:
            failure = Text("✗ ", style="bold red", no_wrap=True, end="")
            failure.append_text(line(detail.failure, "red", 110))
            rows.append([failure, Text(f"e jumps ({len(self.failures())})", style="dim")])
        personas = derive.persona_runtime(detail.normalized)
        if personas:
            rows.append([field("persona runtime", line(", ".join(personas), "", 120))])
        gaps = derive.evidence_gaps(detail.normalized)
        if gaps:
            gap = Text("evidence gaps ", style="bold yellow", no_wrap=True, end="")
            gap.append_text(line(", ".join(gaps), "yellow", 120))
            rows.append([gap])
        if detail.type_note:
            note = Text("! ", style="bold yellow", no_wrap=True, end="")
            note.append_text(line(f"{detail.type_note}: read as a run record, as Harn's loader does", "yellow", 140))
            rows.append([note])
        return rows

    def _header_text(self, detail: RunDetail) -> Text:
        return pack(self._header_rows(detail), self.size.width or 200)

    def _render_header(self, detail: RunDetail) -> None:
        self.query_one("#run-header", FieldBlock).set_fields(self._header_rows(detail))

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

    # -- overview -------------------------------------------------------------

    def action_overview(self) -> None:
        """Insights, failures, policy, replay and eval, artifacts, story, activity, transitions."""
        from harn_tui.screens.overview import OverviewScreen

        if self.detail is not None:
            self.app.push_screen(OverviewScreen(self))

    def jump_to(self, pane_id: str, index: Any = None) -> None:
        """Show a pane with its cursor on item `index` (a stage or a model turn)."""
        self.action_pane(pane_id)
        pane = self.query_one(f"#{pane_id}", Pane)
        if isinstance(index, int):
            if pane_id == "stages":
                from harn_tui.widgets.panes.stages import StagesPane

                assert isinstance(pane, StagesPane)
                if index < pane.table.row_count:
                    pane.table.move_cursor(row=index, animate=False)
            elif pane_id == "turns":
                from harn_tui.widgets.panes.turns import TurnsPane

                assert isinstance(pane, TurnsPane)
                if index < pane.turn_list.count:
                    pane.turn_list.cursor = index

    # -- failures -------------------------------------------------------------

    def failures(self) -> list[Any]:
        """The run's failure points (computed once per loaded version)."""
        if self.detail is None:
            return []
        if self._failures is None:
            from harn_tui.core.analysis.failures import failure_points

            self._failures = failure_points(self.detail)
        return self._failures

    def open_on_failure(self) -> None:
        """Show the stage the failure summary names, with its error under the table."""
        from harn_tui.core.analysis.failures import portal_failure_stage

        if self.detail is None:
            return
        index = portal_failure_stage(self.detail.normalized)
        points = self.failures()
        for i, point in enumerate(points):
            if point.kind == "stage" and point.stage_index == index:
                self._goto(i)
                return
        if points:
            self._goto(0)

    def action_next_error(self) -> None:
        """The next failure point: in this pane if it shows any, else anywhere in the run."""
        points = self.failures()
        if not points:
            self.app.notify("no failures in this run", markup=False)
            return
        here = (self.query_one("#panes", TabbedContent).active or "pane-stages").removeprefix("pane-")
        candidates = [i for i, p in enumerate(points) if p.pane == here] or list(range(len(points)))
        after = [i for i in candidates if i > self._fail_cursor]
        self._goto(after[0] if after else candidates[0])

    def _goto(self, index: int) -> None:
        point = self.failures()[index]
        self._fail_cursor = index
        self.action_pane(point.pane)
        pane = self.query_one(f"#{point.pane}", Pane)
        pane.goto_failure(point)
        from harn_tui.core.format.textsafe import one_line

        self.app.notify(
            one_line(f"{index + 1}/{len(self.failures())} {point.label}: {point.message}")[:300],
            title="Failure", severity="error", markup=False,
        )

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
        self.current_pane().follow()

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
        self.post_message(OpenJson(value, title))

    def action_raw_run(self) -> None:
        """The run file exactly as written: its bytes parsed as JSON, nothing added."""
        self.post_message(OpenJson(None, f"raw file · {self._rel()}", path=self.path))

    def action_normalized_run(self) -> None:
        """The normalized record: Harn's defaults filled in, plus the derived views."""
        if self.detail is not None:
            from harn_tui.core.analysis.report import run_json

            self.post_message(OpenJson(run_json(self.detail), f"normalized record · {self._rel()}"))

    def _rel(self) -> str:
        if self.detail is not None:
            return self.detail.rel
        return self.app.index.relative(self.path) or str(self.path)  # type: ignore[attr-defined]

    def action_copy(self) -> None:
        picked = self.current_pane().selection()
        if picked is not None:
            _title, value = picked
            if isinstance(value, dict):
                for key in ("id", "request_id", "worker_id", "call_id", "event_id"):
                    if value.get(key):
                        self.post_message(Copy(str(value[key])))
                        return
        self.post_message(Copy(str(self.path)))

    def action_pager(self) -> None:
        self.app.open_in_pager(self.path)  # type: ignore[attr-defined]

    def action_editor(self) -> None:
        self.app.open_in_pager(self.path, editor=True)  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.load()

    def action_export(self, kind: str) -> None:
        if self.detail is None:
            return
        from harn_tui.export import export_name, export_text

        name = export_name(self.detail, kind)
        self.app.hand_over_text(name, export_text(self.detail, kind), "Exported")  # type: ignore[attr-defined]
