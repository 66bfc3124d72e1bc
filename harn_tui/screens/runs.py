"""The first screen: every run in the root, filterable, sortable, live."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from harn_tui.core.index import SORTS, select
from harn_tui.core.query import Query, filter_runs
from harn_tui.core.summary import RunSummary
from harn_tui.core.timestamps import format_duration
from harn_tui.text import line
from harn_tui.widgets.query_bar import QueryBar, SavedQueriesScreen, now_ms
from harn_tui.widgets.run_table import RunTable

STATUS_CYCLE = ("all", "active", "completed", "failed")


class TableHeader(Widget):
    """The run table's column titles, laid out at render time from the table's own width
    (so they always line up with the rows, whatever the scrollbar does)."""

    DEFAULT_CSS = "TableHeader { height: 1; }"

    def render(self) -> Text:
        table = self.screen.query_one(RunTable)
        width = table.scrollable_content_region.width or table.size.width or self.size.width
        return table.header(width)


class RunsScreen(Screen[None]):
    """The run list with its filter bar and totals."""

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("colon", "focus_query", "Query"),
        Binding("Q", "saved_queries", "Saved queries", show=False),
        Binding("s", "cycle_status", "Status"),
        Binding("w", "cycle_workflow", "Workflow"),
        Binding("o", "cycle_sort", "Sort"),
        Binding("enter", "open_run", "Open", show=False),
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
        yield Static(id="totals")
        with Horizontal(id="filter-bar"):
            yield Static(id="filter-state")
            yield Input(placeholder="/ filter: workflow, status, path, node, failure, model", id="filter")
        yield QueryBar(
            placeholder=": query, e.g. status=failed tokens>50k model~sonnet since=2h (tab completes)",
            id="query",
        )
        yield TableHeader(id="table-header")
        yield RunTable(id="runs")
        yield Static(id="runs-note")
        yield Footer()

    def on_mount(self) -> None:
        self.where: Query | None = None
        self.table.focus()
        self.refresh_rows()
        self.set_interval(30, self._refresh_relative)

    def _refresh_relative(self) -> None:
        """Relative times ("3m ago") and `since=` queries move with the clock."""
        if self.where is not None and self.where.needs_now:
            self.refresh_rows()
        else:
            self.table.refresh()

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    # -- data -----------------------------------------------------------------

    def all_runs(self) -> list[RunSummary]:
        return list(self.app.runs.values())  # type: ignore[attr-defined]

    def refresh_rows(self) -> None:
        """Recompute the visible rows from the app's index (keeps the cursor's run)."""
        runs = self.all_runs()
        rows = select(
            runs,
            status=self.status_filter,
            workflow=self.workflow_filter,
            query=self.search or None,
            sort=self.sort,
        )
        where = getattr(self, "where", None)
        if where is not None and not where.is_empty:
            rows = filter_runs(rows, where, now_ms())
        self.table.set_rows(rows)
        self._update_header(runs, rows)

    def _update_header(self, runs: list[RunSummary], rows: list[RunSummary]) -> None:
        good = [r for r in runs if not r.broken]
        active = sum(1 for r in good if r.status_group == "active")
        failed = sum(1 for r in good if r.status_group == "failed")
        broken = len(runs) - len(good)
        durations = [r.duration_ms for r in good if r.duration_ms]
        avg = format_duration(sum(durations) / len(durations)) if durations else "-"
        totals = Text(no_wrap=True)
        totals.append(f" {len(good)} runs", style="bold")
        totals.append("  ·  ")
        totals.append(f"● {active} active", style="yellow")
        totals.append("  ·  ")
        totals.append(f"✗ {failed} failed", style="red")
        if broken:
            totals.append("  ·  ")
            totals.append(f"! {broken} broken", style="magenta")
        totals.append(f"  ·  avg {avg}")
        loading = getattr(self.app, "loading_note", "")
        if loading:
            totals.append(f"  ·  {loading}", style="dim italic")
        self.query_one("#totals", Static).update(totals)
        state = Text(no_wrap=True)
        state.append(f" status:{self.status_filter}", style="bold" if self.status_filter != "all" else "dim")
        state.append(" workflow:", style="dim")
        state.append_text(line(self.workflow_filter or "all", "bold" if self.workflow_filter else "dim", 20))
        state.append(f" sort:{self.sort}", style="dim")
        state.append(f"  {len(rows)} shown ", style="dim")
        self.query_one("#filter-state", Static).update(state)
        self.query_one(TableHeader).refresh()
        note = getattr(self.app, "root_note", "") or ""
        self.query_one("#runs-note", Static).update(line(note, "bold red") if note else "")
        self.query_one("#runs-note").display = bool(note)

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_rows)

    def watch_status_filter(self) -> None:
        self._refresh_if_mounted()

    def watch_workflow_filter(self) -> None:
        self._refresh_if_mounted()

    def watch_sort(self) -> None:
        self._refresh_if_mounted()

    def watch_search(self) -> None:
        self._refresh_if_mounted()

    def _refresh_if_mounted(self) -> None:
        if self.is_mounted:
            self.refresh_rows()

    # -- actions --------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.search = event.value

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(QueryBar.Changed, "#query")
    def _query_changed(self, event: QueryBar.Changed) -> None:
        if event.query is not None:  # an invalid query keeps the last valid one applied
            self.where = event.query
            self.refresh_rows()
            if event.query.text_sets:
                self._bind_text(event.query)

    @work(thread=True, exclusive=True, group="text-query")
    def _bind_text(self, query: Query) -> None:
        """Resolve `text~"..."` terms with the full-text index (off the UI thread)."""
        query.bind_text(self.app.text_paths)  # type: ignore[attr-defined]
        if query is self.where:
            self.app.call_from_thread(self.refresh_rows)

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
        self.query_one("#filter", Input).focus()

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

    @on(RunTable.Selected)
    def _selected(self, event: RunTable.Selected) -> None:
        self.action_open_run()

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
            self.app.copy_value(str(self.app.root / run.path))  # type: ignore[attr-defined]

    def action_pager(self) -> None:
        run = self.table.current
        if run is not None:
            self.app.open_in_pager(self.app.root / run.path)  # type: ignore[attr-defined]
