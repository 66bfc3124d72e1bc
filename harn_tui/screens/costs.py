"""`$` on the run list: what the runs shown cost — totals, trends by day and workflow, and
breakdowns by model, provider, workflow and day. It follows the list's filter and query."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Sparkline, Static

from harn_tui.core.analysis.costs import BY, CostReport, Totals, build_cost_report
from harn_tui.core.format import clock
from harn_tui.core.format.numbers import fmt_count, fmt_tokens, fmt_usd
from harn_tui.core.format.plural import noun
from harn_tui.messages import Copy, OpenJson
from harn_tui.text import line
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.virtual_list import KeyedList

if TYPE_CHECKING:
    from harn_tui.core.index.summary import RunSummary
    from harn_tui.screens.runs import RunsScreen

#: (key, label, days back; None = all time)
RANGES = (("all", "all time", None), ("24h", "last 24 hours", 1), ("7d", "last 7 days", 7), ("30d", "last 30 days", 30))
DAY_MS = 86_400_000
#: Workflows drawn with their own trend line (the costliest ones).
TOP_WORKFLOWS = 5


def in_range(runs: list[RunSummary], days: int | None, now_ms: int) -> list[RunSummary]:
    """The runs that started within `days` of `now_ms` (all of them for None)."""
    if days is None:
        return list(runs)
    since = now_ms - days * DAY_MS
    return [r for r in runs if r.started_at_ms is not None and r.started_at_ms >= since]


class BreakdownList(KeyedList[tuple[str, Totals]]):
    """One row per group: name, cost, share bar, calls, tokens in/out, runs."""

    total = 0.0

    def row_key(self, row: tuple[str, Totals]) -> object:
        return row[0]

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        key, t = self.rows[index]
        name_w = max(min(width - 60, 40), 12)
        out = Text(no_wrap=True, end="")
        out.append_text(line(key, "bold", name_w))
        out.pad_right(name_w + 1 - out.cell_len)
        out.append(f"{fmt_usd(t.cost_usd):>10} ", style="green")
        share = t.cost_usd / self.total if self.total > 0 else 0.0
        bar = "█" * round(share * 12)
        out.append(f"{bar:<12} ", style="green")
        out.append(f"{share * 100:5.1f}% ", style="dim")
        out.append(f"{fmt_count(t.call_count):>7} {noun(t.call_count, 'call'):<5}")
        out.append(f"{fmt_tokens(t.input_tokens):>6}/{fmt_tokens(t.output_tokens):<6}", style="cyan")
        out.append(f" {fmt_count(t.run_count)} {noun(t.run_count, 'run')}", style="dim")
        out.truncate(width)
        return out


class CostsScreen(Screen[None]):
    """Totals, Sparkline trends and a breakdown of the run list's current rows."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "range('all')", "All time"),
        Binding("t", "range('24h')", "24 hours"),
        Binding("w", "range('7d')", "Last 7 days"),
        Binding("m", "range('30d')", "30 days"),
        Binding("b", "cycle_by", "Breakdown"),
        Binding("r", "raw", "Report JSON"),
        Binding("y", "copy", "Copy command"),
    ]

    def __init__(self, runs_screen: RunsScreen, *, by: str = "model", range_key: str = "all") -> None:
        super().__init__()
        self.runs_screen = runs_screen
        self.by = by
        self.range_key = range_key
        self.report = CostReport()

    def compose(self) -> ComposeResult:
        yield Static(id="costs-header")
        yield Static(id="costs-totals")
        with Vertical(id="costs-trends"):
            yield Static(id="costs-day-label")
            yield Sparkline([], id="costs-day")
            yield Static(id="costs-day-axis")
            yield Vertical(id="costs-workflows")
        yield Static(id="costs-by-label")
        yield BreakdownList(id="costs-breakdown")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_report()
        self.app.runs_changed.subscribe(self, lambda _: self.refresh_report(), immediate=True)  # type: ignore[attr-defined]
        self.query_one(BreakdownList).focus()

    # -- data -----------------------------------------------------------------

    def runs(self) -> list[RunSummary]:
        days = next(d for k, _label, d in RANGES if k == self.range_key)
        return in_range(list(self.runs_screen.table.rows), days, clock.now_ms())

    def refresh_report(self) -> None:
        """Recompute from the run list's rows (called again whenever they change)."""
        runs = self.runs()
        self.report = report = build_cost_report(runs)
        s = report.summary
        header = Text(no_wrap=True)
        header.append("Costs ", style="bold")
        header.append(f"· {fmt_count(len(runs))} {noun(len(runs), 'run')} shown", style="")
        label = next(lbl for k, lbl, _d in RANGES if k == self.range_key)
        header.append(f" · {label}", style="bold cyan")
        where = self._list_filter()
        if where:
            header.append(" · list: ", style="dim")
            header.append_text(line(where, "dim", 60))
        self.query_one("#costs-header", Static).update(header)
        totals = Text(no_wrap=True)
        totals.append(f" {fmt_usd(s.cost_usd)}", style="bold green")
        totals.append(f"  {fmt_count(s.call_count)} {noun(s.call_count, 'call')}", style="bold")
        totals.append(f"  {fmt_tokens(s.input_tokens)} in / {fmt_tokens(s.output_tokens)} out", style="cyan")
        totals.append(f"  {fmt_count(s.run_count)} {noun(s.run_count, 'run')} with spend", style="dim")
        self.query_one("#costs-totals", Static).update(totals)
        self._render_trends(report)
        self._render_breakdown(report)

    def _list_filter(self) -> str:
        rs = self.runs_screen
        parts = []
        if rs.status_filter != "all":
            parts.append(f"status:{rs.status_filter}")
        if rs.workflow_filter:
            parts.append(f"workflow:{rs.workflow_filter}")
        if rs.search:
            parts.append(f"/{rs.search}")
        where = getattr(rs, "where", None)
        if where is not None and not where.is_empty:
            parts.append(f":{where.text}" if hasattr(where, "text") else ":query")
        return " ".join(parts)

    def _render_trends(self, report: CostReport) -> None:
        days = report.days()
        series = report.series()
        day_label = Text(no_wrap=True)
        day_label.append(" Cost by day", style="bold")
        if series:
            day_label.append(f"  peak {fmt_usd(max(series))}/day over {len(days)} days", style="dim")
        else:
            day_label.append("  no spend recorded", style="dim")
        self.query_one("#costs-day-label", Static).update(day_label)
        spark = self.query_one("#costs-day", Sparkline)
        spark.data = series or [0.0]
        axis = Text(no_wrap=True)
        if days:
            axis.append(f" {days[0]}", style="dim")
            if len(days) > 1:
                axis.append(" … ", style="dim")
                axis.append(days[-1], style="dim")
        self.query_one("#costs-day-axis", Static).update(axis)
        box = self.query_one("#costs-workflows", Vertical)
        box.remove_children()
        ranked = report.ranked("workflow")[:TOP_WORKFLOWS]
        rows = []
        for name, totals in ranked:
            rows.append(Horizontal(
                Static(line(name, "bold", 18), classes="costs-wf-name"),
                Sparkline(report.series(name) or [0.0], classes="costs-wf-spark"),
                Static(Text(f"{fmt_usd(totals.cost_usd):>9}", style="green"), classes="costs-wf-total"),
                classes="costs-wf",
            ))
        if rows:
            box.mount(Static(Text(" Cost by workflow, per day", style="bold"), classes="costs-wf-title"), *rows)

    def _render_breakdown(self, report: CostReport) -> None:
        title = Text(no_wrap=True)
        title.append(f" By {self.by}", style="bold")
        title.append("   b: " + " / ".join(BY), style="dim")
        self.query_one("#costs-by-label", Static).update(title)
        blist = self.query_one(BreakdownList)
        blist.total = report.summary.cost_usd
        blist.set_rows(report.ranked(self.by))

    # -- actions --------------------------------------------------------------

    def action_range(self, key: str) -> None:
        self.range_key = key
        self.refresh_report()

    def action_cycle_by(self) -> None:
        self.by = BY[(BY.index(self.by) + 1) % len(BY)]
        self._render_breakdown(self.report)

    def action_raw(self) -> None:
        self.post_message(OpenJson(self.report.to_json(self.by), "cost report"))

    def action_copy(self) -> None:
        """The headless command that prints this breakdown."""
        days = next(d for k, _label, d in RANGES if k == self.range_key)
        cmd = f"harn-tui costs --by {self.by}"
        if days is not None:
            cmd += f" --where since={days}d"
        self.post_message(Copy(cmd))

    def action_back(self) -> None:
        self.app.pop_screen()
