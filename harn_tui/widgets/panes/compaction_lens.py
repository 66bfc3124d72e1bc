"""Compaction lens pane: context size over the stage timeline, compactions, snapshot diffs.

Top: a bar plot of the run's context size (prompt tokens per call between compactions,
tokens before → after at each compaction, marked ⇊), stage ordinals under it.
Middle: every compaction (transcripts, agent sessions, child workers' sessions).
Bottom: the selected compaction's snapshot diff — archived messages `-` red, added
`+` green, kept dim. Enter or `d` opens the whole diff as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from harn_tui.core.analysis import compaction_lens as lens
from harn_tui.core.format.numbers import fmt_tokens
from harn_tui.core.format.plural import plural
from harn_tui.messages import OpenText
from harn_tui.text import label, line
from harn_tui.widgets.panes.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.table import PaneTable

#: Plot height in rows (each row has 8 sub-levels).
PLOT_ROWS = 6
#: Below this pane height the plot gets SHORT_PLOT_ROWS rows (the diff needs the room).
TALL = 26
SHORT_PLOT_ROWS = 3
#: Compaction rows shown before the list scrolls.
TABLE_ROWS = 7
AXIS = 7
BARS = "▁▂▃▄▅▆▇█"
COLUMN_STYLE = {"stage": "cyan", "call": "blue", "before": "red", "after": "green"}
#: Diff rows shown in the pane (the full diff is one key away).
PREVIEW_ROWS = 300
PREVIEW_WIDTH = 160
STAGE_MARKS = "123456789abcdefghijklmnopqrstuvwxyz"


def stage_mark(index: int) -> str:
    return STAGE_MARKS[index % len(STAGE_MARKS)]


def render_plot(
    points: Sequence[lens.Point], width: int, stage_names: Sequence[str], *, rows: int = PLOT_ROWS
) -> Text:
    """The context-size plot as Rich Text (`width` cells, axis included; `rows` bar rows)."""
    out = Text(no_wrap=True, end="")
    columns = lens.plot_columns(points)
    if not columns:
        out.append("No context-size data: no stage usage, sidecar calls or compactions.", style="dim italic")
        return out
    room = max(width - AXIS - 2, 8)
    step = 2 if len(columns) * 2 <= room else 1
    columns = lens.fit_columns(columns, room // step)
    top = max((c.value for c in columns), default=0) or 1
    levels = [
        0 if c.value <= 0 else max(1, round(c.value / top * rows * 8)) for c in columns
    ]
    out.append("context size, tokens", style="bold")
    out.append(f"  (max {fmt_tokens(top)})\n", style="dim")
    for row in range(rows):
        base = (rows - 1 - row) * 8
        axis = fmt_tokens(top) if row == 0 else (fmt_tokens(top // 2) if row == rows // 2 else "")
        out.append(f"{axis:>{AXIS - 1}} ┤", style="dim")
        for col, level in zip(columns, levels, strict=True):
            cell = level - base
            char = " " if cell <= 0 else BARS[min(cell, 8) - 1]
            out.append(char, style=COLUMN_STYLE.get(col.kind, ""))
            if step > 1:
                out.append(" ")
        out.append("\n")
    out.append(f"{'0':>{AXIS - 1}} └", style="dim")
    out.append("─" * (len(columns) * step), style="dim")
    out.append("\n")
    # markers: ⇊ under compactions, the stage ordinal under each stage's first column
    out.append(" " * (AXIS + 1))
    last_stage: int | None = None
    for col in columns:
        if col.kind == "before":
            out.append("⇊", style="bold yellow")
        elif col.stage_index is not None and col.stage_index != last_stage:
            out.append(stage_mark(col.stage_index), style="bold")
        else:
            out.append(" ")
        if col.stage_index is not None:
            last_stage = col.stage_index
        if step > 1:
            out.append(" ")
    out.append("\n")
    legend = Text(no_wrap=True, end="")
    for kind, name in (("stage", "stage ≈prompt/call"), ("call", "sidecar call"),
                       ("before", "before"), ("after", "after compaction")):
        legend.append("█ ", style=COLUMN_STYLE[kind])
        legend.append(name + "  ", style="dim")
    legend.append("⇊ compaction", style="yellow")
    legend.truncate(max(width, 20), overflow="ellipsis")
    out.append_text(legend)
    if stage_names:
        out.append("\n")
        names = Text(no_wrap=True, end="")
        names.append("stages ", style="dim")
        for i, name in enumerate(stage_names):
            names.append(stage_mark(i), style="bold")
            names.append(" ")
            names.append_text(line(name, "", 18))
            names.append("  ")
        names.truncate(max(width, 20), overflow="ellipsis")
        out.append_text(names)
    return out


def render_diff(
    diff: lens.CompactionDiff, *, rows: int = PREVIEW_ROWS, width: int = PREVIEW_WIDTH
) -> Text:
    """A compaction diff as Rich Text: `-` archived red, `+` added green, kept dim."""
    out = Text(end="")
    out.append_text(line(diff.title, "bold", width))
    out.append("\n")
    if not diff.available:
        out.append("diff unavailable: ", style="bold yellow")
        out.append_text(line(diff.reason or "", "yellow", max(width - 18, 20)))
        return out
    out.append("before ", style="dim")
    out.append_text(line(diff.before_label, "", max(width - 7, 20)))
    out.append("\nafter  ", style="dim")
    out.append_text(line(diff.after_label, "", max(width - 7, 20)))
    out.append("\n")
    out.append(f"-{len(diff.archived)} archived", style="bold red")
    out.append("  ")
    out.append(f"+{len(diff.added)} added", style="bold green")
    out.append("  ")
    out.append(f"{len(diff.kept)} kept", style="dim")
    out.append("   Enter/d: full diff\n", style="dim italic")
    style = {"-": "red", "+": "green", " ": "dim"}
    for row in diff.rows[:rows]:
        text = label((f"{row.op} ", style[row.op]), (f"[{row.msg.role}] ", f"bold {style[row.op]}"),
                     (row.msg.text or "(empty)", style[row.op]))
        text.truncate(width, overflow="ellipsis")
        out.append_text(text)
        out.append("\n")
    if len(diff.rows) > rows:
        out.append(f"… {plural(len(diff.rows) - rows, 'more row')} (Enter/d for all)", style="dim italic")
    return out


class CompactionLens(Pane):
    """Context size over time, every compaction, and the selected one's snapshot diff."""

    title = "Lens"

    BINDINGS = [Binding("d", "open_diff", "Diff")]


    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.points: list[lens.Point] = []
        self.events: list[lens.Point] = []
        self.diff: lens.CompactionDiff | None = None
        #: Diffs by compaction key for the shown detail (a big snapshot takes a while to diff).
        self._diffs: dict[str, lens.CompactionDiff] = {}
        #: The size the plot and diff were last drawn at.
        self._drawn_at: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="lens-plot")
        table = PaneTable(id="lens-table")
        table.add_columns("#", "where", "mode", "strategy", "archived", "tokens before → after",
                          "source", "snapshot")
        yield table
        yield Static(id="lens-empty", classes="empty-note")
        with VerticalScroll(id="lens-diff-box"):
            yield Static(id="lens-diff")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#lens-table", DataTable)

    # -- rendering ------------------------------------------------------------

    def show(self, detail) -> None:  # type: ignore[no-untyped-def]
        """Take a fresh detail; the series (one point per model call) waits until on screen."""
        super().show(detail)
        self._stale = True
        if self.on_screen():
            self._rebuild(detail)

    def on_show(self) -> None:
        if getattr(self, "_stale", False) and self.detail is not None:
            self._rebuild(self.detail)

    def _rebuild(self, detail) -> None:  # type: ignore[no-untyped-def]
        self._stale = False
        self._diffs = {}
        self.points = lens.context_series(detail)
        self.events = lens.compactions(detail)
        self._render_plot()
        table = self.table
        key, row = table_cursor_key(table), table.cursor_row
        table.clear()
        for i, p in enumerate(self.events):
            table.add_row(*self._row(i, p), key=p.key or str(i))
        restore_cursor(table, key, row)
        # header + rows (+1 for a horizontal scrollbar on narrow screens), at most TABLE_ROWS rows
        table.styles.height = min(len(self.events), TABLE_ROWS) + 2 if self.events else 0
        note = self.query_one("#lens-empty", Static)
        note.update("No compactions in this run's transcripts or agent sessions." if not self.events else "")
        note.display = not self.events
        self.query_one("#lens-diff-box").display = bool(self.events)
        self._render_diff()

    def _row(self, i: int, p: lens.Point) -> list[Any]:
        if p.snapshot_available:
            snap = line("diff", "green")
        elif p.event is not None and p.event.get("snapshot_asset_id"):
            snap = line("missing", "yellow")
        else:
            snap = line("none", "dim")
        source = {"transcript": "transcript", "agent_event": "session"}.get(p.source, p.source)
        return [
            str(i + 1),
            line(p.label, "bold", 22),
            line(p.mode or "-", "", 10),
            line(p.strategy or "-", "", 16),
            str(p.archived),
            f"{fmt_tokens(p.before or 0)} → {fmt_tokens(p.after or 0)}",
            line(source, "dim", 10),
            snap,
        ]

    def _stage_names(self) -> list[str]:
        if self.detail is None:
            return []
        return [s.node_id or f"stage {i + 1}" for i, s in enumerate(self.detail.record.stages)]

    def _render_plot(self) -> None:
        self._drawn_at = (self.size.width, self.size.height)
        width = self.size.width or 100
        rows = PLOT_ROWS if (self.size.height or 40) >= TALL else SHORT_PLOT_ROWS
        self.query_one("#lens-plot", Static).update(
            render_plot(self.points, width - 2, self._stage_names() if rows == PLOT_ROWS else [],
                        rows=rows)
        )

    def on_resize(self) -> None:
        if self.detail is not None:
            self.call_after_refresh(self._rerender)

    def _rerender(self) -> None:
        """Draw again for a new size; a tab shown again at the size it had draws nothing."""
        size = (self.size.width, self.size.height)
        if size == self._drawn_at or not all(size):
            return
        self._render_plot()
        self._render_diff()

    def current(self) -> lens.Point | None:
        key = table_cursor_key(self.table)
        if key is None:
            return None
        return next((p for p in self.events if p.key == key), None)

    def diff_of(self, point: lens.Point) -> lens.CompactionDiff:
        """The snapshot diff of a compaction of the shown run (computed once per load)."""
        diff = self._diffs.get(point.key)
        if diff is None:
            diff = self._diffs[point.key] = lens.snapshot_diff(self.detail, point)
        return diff

    def _render_diff(self) -> None:
        point = self.current()
        box = self.query_one("#lens-diff", Static)
        if point is None or self.detail is None:
            self.diff = None
            box.update("")
            return
        self.diff = self.diff_of(point)
        box.update(render_diff(self.diff, width=max((self.size.width or 100) - 4, 40)))

    @on(DataTable.RowHighlighted, "#lens-table")
    def _highlighted(self) -> None:
        self._render_diff()

    @on(DataTable.RowSelected, "#lens-table")
    def _selected(self) -> None:
        self.action_open_diff()

    # -- actions --------------------------------------------------------------

    def action_open_diff(self) -> None:
        point = self.current()
        if point is None or self.detail is None:
            return
        diff = self.diff_of(point)
        if not diff.available:
            self.notify(f"No diff: {diff.reason}", severity="warning", markup=False)
            return
        self.post_message(OpenText(diff.render(), f"compaction diff · {point.label}"))

    def selection(self) -> tuple[str, Any] | None:
        point = self.current()
        if point is None:
            return None
        value = point.event if point.event is not None else {"label": point.label}
        return (f"compaction {point.label}", value)

    def focus_main(self) -> None:
        self.table.focus()

    def follow(self) -> None:
        if self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
