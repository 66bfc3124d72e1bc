"""The first screen: every run in the root, filterable, sortable, live."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static

from harn_tui.core.analysis.query import Query, controls_query, filter_runs, parse_query
from harn_tui.core.format import clock
from harn_tui.core.format.numbers import fmt_tokens, fmt_usd
from harn_tui.core.format.plural import plural
from harn_tui.core.format.timestamps import format_duration
from harn_tui.core.index.run_index import SORTS
from harn_tui.core.index.run_order import RunOrder
from harn_tui.core.index.summary import RunSummary
from harn_tui.messages import Copy
from harn_tui.served import TerminalOnlyKeys
from harn_tui.text import line
from harn_tui.widgets.fields import FieldBlock
from harn_tui.widgets.focus import focus_now
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.query_bar import QueryBar, SavedQueriesScreen
from harn_tui.widgets.run_table import RunTable
from harn_tui.widgets.virtual_list import with_position

STATUS_CYCLE = ("all", "active", "completed", "failed")
#: While the first scan streams rows in, the list refreshes at most this often (seconds), so a
#: key never waits behind a refresh per batch.
INDEXING_REFRESH_EVERY = 0.3
#: From this many runs, the `/` filter applies once typing pauses for FILTER_SETTLE seconds
#: (a pass over 100,000 runs takes a noticeable moment; one per keystroke queues the keys).
FILTER_SETTLE_FROM = 20_000
FILTER_SETTLE = 0.15


class TableHeader(Widget):
    """The run table's column titles, laid out at render time from the table's own width
    (so they always line up with the rows, whatever the scrollbar does)."""

    DEFAULT_CSS = "TableHeader { height: 1; }"

    def render(self) -> Text:
        table = self.screen.query_one(RunTable)
        width = table.scrollable_content_region.width or table.size.width or self.size.width
        return with_position(table.header(width), table.position(), self.size.width or width)


class RunsScreen(TerminalOnlyKeys, Screen[None]):
    """The run list with its filter bar and totals."""

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("colon", "focus_query", "Query"),
        Binding("Q", "saved_queries", "Saved queries", show=False),
        Binding("s", "cycle_status", "Status"),
        Binding("w", "cycle_workflow", "Workflow"),
        Binding("o", "cycle_sort", "Sort"),
        Binding("enter", "open_run", "Open", show=False),
        Binding("dollar_sign", "costs", "Costs"),
        Binding("D", "dlq", "Dead letters", show=False),
        Binding("r", "raw", "Raw JSON"),
        Binding("c", "compare", "Compare", show=False),
        Binding("y", "copy", "Copy path"),
        Binding("p", "pager", "Pager", show=False),
        Binding("escape", "clear_filter", "Clear", show=False),
    ]

    status_filter: reactive[str] = reactive("all")
    workflow_filter: reactive[str | None] = reactive(None)
    sort: reactive[str] = reactive("newest")
    search: reactive[str] = reactive("")

    def compose(self) -> ComposeResult:
        yield FieldBlock(id="totals", gap="  ·  ")
        with Horizontal(id="filter-bar"):
            yield Static(id="filter-state")
            yield Input(placeholder="/ filter: workflow, status, path, node, failure, model", id="filter")
        yield QueryBar(
            placeholder=": query, e.g. status=failed tokens>50k model~sonnet since=2h (tab completes)",
            runs=self.all_runs,
            id="query",
        )
        yield TableHeader(id="table-header")
        yield RunTable(id="runs")
        yield Static(id="runs-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.where: Query | None = None
        self.order = RunOrder()
        self._last_refresh = 0.0
        self._refresh_due = False
        self._filter_timer: Timer | None = None
        prefs = getattr(self.app, "prefs", None)
        remembered = prefs.get("sort") if prefs is not None else None
        if remembered in SORTS:
            self.sort = remembered
        self.table.focus()
        self.recompute_rows()
        self.set_interval(30, self._refresh_relative)
        self.app.runs_changed.subscribe(self, lambda _: self.refresh_rows(), immediate=True)  # type: ignore[attr-defined]
        self.app.search_changed.subscribe(self, lambda _: self.text_index_changed(), immediate=True)  # type: ignore[attr-defined]

    def _refresh_relative(self) -> None:
        """Relative times ("3m ago") and `since=` queries move with the clock."""
        if self.where is not None and self.where.needs_now:
            self.recompute_rows()
        else:
            self.table.refresh()

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    # -- data -----------------------------------------------------------------

    def all_runs(self) -> list[RunSummary]:
        return list(self.app.runs.values())  # type: ignore[attr-defined]

    def refresh_rows(self) -> None:
        """The app's index changed: recompute the rows (at most every
        `INDEXING_REFRESH_EVERY` seconds while the first scan streams in)."""
        load = getattr(self.app, "load", None)
        if load is not None and load.indexing:
            wait = self._last_refresh + INDEXING_REFRESH_EVERY - time.monotonic()
            if wait > 0:
                if not self._refresh_due:
                    self._refresh_due = True
                    self.set_timer(wait, self._refresh_if_due)
                return
        self.recompute_rows()

    def _refresh_if_due(self) -> None:
        if self._refresh_due and self.is_mounted:
            self.recompute_rows()

    def recompute_rows(self) -> None:
        """Recompute the visible rows from the app's index now (keeps the cursor's run).
        The sorted order is kept across calls, so this costs what changed plus the filters."""
        self._refresh_due = False
        self._last_refresh = time.monotonic()
        order = self.order
        order.update(self.app.runs, self.sort)  # type: ignore[attr-defined]
        rows = order.rows
        controls = self.controls_query()
        filtered = not controls.is_empty
        if filtered:
            rows = filter_runs(rows, controls, 0)
        where = getattr(self, "where", None)
        if where is not None and not where.is_empty:
            rows = filter_runs(rows, where, clock.now_ms())
            filtered = True
        self.table.set_rows(rows)
        self._update_header(rows, filtered)

    def controls_query(self) -> Query:
        """The `s` / `w` / `/` controls as a query (parsed once per change of the controls)."""
        text = controls_query(self.status_filter, self.workflow_filter, self.search)
        cached = getattr(self, "_controls", None)
        if cached is None or cached.text != text:
            cached = self._controls = parse_query(text)
        return cached

    def _update_header(self, rows: list[RunSummary], filtered: bool) -> None:
        order = self.order
        broken = order.broken
        mean = order.avg_duration_ms
        avg = format_duration(mean) if mean is not None else "-"
        fields = [
            Text(f" {plural(order.good, 'run')}", style="bold"),
            Text(f"● {order.active} active", style="yellow"),
            Text(f"✗ {order.failed} failed", style="red"),
        ]
        if broken:
            fields.append(Text(f"! {broken} broken", style="red"))
        fields.append(Text(f"avg {avg}"))
        cost, tin, tout = order.shown_totals(rows if filtered else None)
        spend = Text(fmt_usd(cost), style="bold")
        spend.append(f" {fmt_tokens(tin)}/{fmt_tokens(tout)} tok shown", style="dim")
        spend.append("  $ costs", style="dim")
        fields.append(spend)
        load = getattr(self.app, "load", None)
        loading = load.note if load is not None else ""
        if loading:
            fields.append(Text(loading, style="dim italic"))
        if getattr(self.app, "event_log_note", ""):
            fields.append(Text("no event log: --events PATH", style="yellow"))
        elif getattr(self.app, "event_log_error", None):
            fields.append(Text("event log unreadable: --events PATH", style="yellow"))
        for field in fields:
            field.no_wrap, field.end = True, ""
        self.query_one("#totals", FieldBlock).set_fields([fields])
        state = Text(no_wrap=True)
        state.append(f" status:{self.status_filter}", style="bold" if self.status_filter != "all" else "dim")
        state.append(" workflow:", style="dim")
        state.append_text(line(self.workflow_filter or "all", "bold" if self.workflow_filter else "dim", 20))
        state.append(f" sort:{self.sort}", style="dim")
        state.append(f"  {len(rows):,} of {len(order):,} shown ", style="dim")
        self.query_one("#filter-state", Static).update(state)
        self.query_one(TableHeader).refresh()
        note = getattr(self.app, "root_note", "") or ""
        self.query_one("#runs-note", Static).update(line(note, "bold red") if note else "")
        self.query_one("#runs-note").display = bool(note)

    def on_resize(self) -> None:
        self.call_after_refresh(self.recompute_rows)

    def watch_status_filter(self) -> None:
        self._refresh_if_mounted()

    def watch_workflow_filter(self) -> None:
        self._refresh_if_mounted()

    def watch_sort(self, sort: str) -> None:
        prefs = getattr(self.app, "prefs", None)
        if prefs is not None and self.is_mounted:
            prefs.set("sort", sort)
        self._refresh_if_mounted()

    def watch_search(self) -> None:
        self._refresh_if_mounted()

    def _refresh_if_mounted(self) -> None:
        if self.is_mounted:
            self.recompute_rows()

    # -- actions --------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        if len(self.app.runs) < FILTER_SETTLE_FROM:  # type: ignore[attr-defined]
            self.search = event.value
            return
        value = event.value
        self._filter_timer = self.set_timer(FILTER_SETTLE, lambda: setattr(self, "search", value))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(QueryBar.Changed, "#query")
    def _query_changed(self, event: QueryBar.Changed) -> None:
        if event.query is not None:  # an invalid query keeps the last valid one applied
            self.where = event.query
            self.recompute_rows()
            if event.query.text_sets:
                self._bind_text(event.query)

    @work(thread=True, exclusive=True, group="text-query")
    def _bind_text(self, query: Query) -> None:
        """Resolve `text~"..."` terms with the full-text index (off the UI thread)."""
        query.bind_text(self.app.text_paths)  # type: ignore[attr-defined]
        if query is self.where:
            self.app.call_from_thread(self.recompute_rows)

    def text_index_changed(self) -> None:
        """The full-text index changed: re-resolve a `text~` query."""
        if self.where is not None and self.where.text_sets:
            self._bind_text(self.where)

    @on(QueryBar.Submitted, "#query")
    def _query_submitted(self) -> None:
        self.table.focus()

    def action_focus_query(self) -> None:
        self.query_one(QueryBar).focus_input()

    def action_saved_queries(self) -> None:
        bar = self.query_one(QueryBar)

        def chosen(text: str | None) -> None:
            if text is not None:
                bar.value = text

        self.app.push_screen(SavedQueriesScreen(bar.value), chosen)

    def action_focus_filter(self) -> None:
        focus_now(self.query_one("#filter", Input))

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if field.has_focus or self.search:
            field.value = ""
            self.search = ""
        bar = self.query_one(QueryBar)
        if bar.has_focus_within and bar.value:
            bar.value = ""
        self.table.focus()

    def action_cycle_status(self) -> None:
        i = STATUS_CYCLE.index(self.status_filter)
        self.status_filter = STATUS_CYCLE[(i + 1) % len(STATUS_CYCLE)]

    def action_cycle_workflow(self) -> None:
        names = sorted({r.workflow_name for r in self.all_runs() if not r.broken and r.workflow_name})
        options: list[str | None] = [None, *names]
        try:
            i = options.index(self.workflow_filter)
        except ValueError:
            i = 0
        self.workflow_filter = options[(i + 1) % len(options)]

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    def action_open_run(self) -> None:
        run = self.table.current
        if run is not None:
            self.app.open_run(run)  # type: ignore[attr-defined]

    @on(RunTable.Highlighted)
    def _highlighted(self, event: RunTable.Highlighted) -> None:
        self.query_one(TableHeader).refresh()

    @on(RunTable.Selected)
    def _selected(self, event: RunTable.Selected) -> None:
        self.action_open_run()

    def action_costs(self) -> None:
        """Costs and usage of the runs shown (follows the filter and the query)."""
        from harn_tui.screens.costs import CostsScreen

        self.app.push_screen(CostsScreen(self))

    def action_dlq(self) -> None:
        """Trigger dead letters from the event log, grouped by error class."""
        from harn_tui.screens.dlq import DlqScreen

        self.app.push_screen(DlqScreen())

    def action_compare(self) -> None:
        run = self.table.current
        if run is not None and not run.broken:
            from harn_tui.screens.compare import open_compare

            open_compare(self.app, self.app.root / run.path)  # type: ignore[attr-defined]

    def action_raw(self) -> None:
        run = self.table.current
        if run is not None:
            self.app.open_raw_file(run.path)  # type: ignore[attr-defined]

    def action_copy(self) -> None:
        run = self.table.current
        if run is not None:
            self.post_message(Copy(str(self.app.root / run.path)))  # type: ignore[attr-defined]

    def action_pager(self) -> None:
        run = self.table.current
        if run is not None:
            self.app.open_in_pager(self.app.root / run.path)  # type: ignore[attr-defined]
