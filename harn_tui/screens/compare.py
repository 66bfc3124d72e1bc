"""Compare two runs: stages, tool calls, usage and model turns side by side.

`CompareScreen(current_path, baseline_path=None)` loads both runs in a worker
(with the app's event log attached), compares them with
:func:`harn_tui.core.analysis.compare.compare` and shows one section per tab. Without a
baseline it takes the previous run of the same workflow. `d` jumps to the first
divergence, `n` / `N` to the next / previous differing row, `b` picks another
baseline, Enter opens both sides of a row as JSON.
"""

from __future__ import annotations

import contextlib
import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import LoadingIndicator, Static, TabbedContent, TabPane

from harn_tui.core.analysis import compare as C
from harn_tui.core.format.errors import HarnTuiError
from harn_tui.core.format.numbers import fmt_tokens
from harn_tui.core.format.plural import plural
from harn_tui.core.format.timestamps import format_duration, format_iso, parse_ms
from harn_tui.messages import OpenJson
from harn_tui.text import line, safe
from harn_tui.widgets.fields import FieldBlock, pack
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.status import badge
from harn_tui.widgets.table import PaneTable
from harn_tui.widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail
    from harn_tui.core.index.summary import RunSummary

#: Tabs in order: (kind, tab id suffix, title).
SECTIONS = (("stage", "stages", "1 Stages"), ("tool", "tools", "2 Tool calls"),
            ("usage", "usage", "3 Usage"), ("turn", "turns", "4 Turns"))
#: How long the loader waits for the run index / event log before going without.
WAIT_SECONDS = 15.0
#: Lines of a text diff shown in the detail box.
DIFF_LINES = 400
#: Lines of each side fed to difflib (keeps a huge visible_text from stalling the UI).
DIFF_INPUT_LINES = 2000

MARKS = {
    C.SAME: ("  ", ""),
    C.CHANGED: ("≠ ", "bold yellow"),
    C.ONLY_A: ("A ", "bold green"),
    C.ONLY_B: ("B ", "bold magenta"),
}


def legend_fields() -> list[Text]:
    """What the row badges mean, one field per badge (shown under the header)."""
    out = []
    for badge_text, style, meaning in (
        ("≠", MARKS[C.CHANGED][1], "differs"), ("A", MARKS[C.ONLY_A][1], "only in A"),
        ("B", MARKS[C.ONLY_B][1], "only in B"), ("err", "bold red", "error changed"),
        ("txt", "bold yellow", "text changed"), ("⚙", "cyan", "calls tools"),
    ):
        field = Text(badge_text, style=style, no_wrap=True, end="")
        field.append(f" {meaning}", style="dim")
        out.append(field)
    return out


def _tok(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "-"
    return fmt_tokens(int(value))


def _cell(parts: list[tuple[str, str]], width: int) -> Text:
    """Join (text, style) parts into exactly `width` cells (cut with an ellipsis)."""
    out = Text(no_wrap=True, end="")
    for value, style in parts:
        out.append_text(line(value, style))
    out.truncate(max(width, 0), overflow="ellipsis", pad=True)
    return out


def _hl(changed: bool) -> str:
    return "bold yellow" if changed else ""


# -- row rendering ---------------------------------------------------------------


def _stage_side(side: C.StageSide | None, changes: tuple[str, ...], width: int) -> Text:
    if side is None:
        return _cell([("—", "dim")], width)
    parts = [(side.status or "-", _hl("status" in changes)), ("/", "dim"),
             (side.outcome or "-", _hl("outcome" in changes))]
    if side.branch or "branch" in changes:
        parts.append((f" →{side.branch or '-'}", _hl("branch" in changes)))
    if "error" in changes:
        parts.append((" err", "bold red"))
    if "visible_text" in changes:
        parts.append((" txt", "bold yellow"))
    parts.append((f" {_tok(side.input_tokens)}/{_tok(side.output_tokens)}", "dim"))
    if side.duration_ms is not None:
        parts.append((f" {format_duration(side.duration_ms)}", "dim"))
    return _cell(parts, width)


def _tool_side(side: C.ToolCall | None, changes: tuple[str, ...], width: int) -> Text:
    if side is None:
        return _cell([("—", "dim")], width)
    return _cell([(side.status or "-", _hl("status" in changes)), (" ", ""),
                  (side.result or "(empty)", "yellow" if "result" in changes else "dim")], width)


def _turn_side(side: C.Turn | None, changes: tuple[str, ...], width: int) -> Text:
    if side is None:
        return _cell([("—", "dim")], width)
    parts: list[tuple[str, str]] = []
    if side.tool_calls:
        parts.append(("⚙ ", _hl("tool_calls" in changes) or "cyan"))
    parts.append((side.response or side.tool_calls or "(no text)",
                  "yellow" if "response" in changes else ""))
    return _cell(parts, width)


def render_row(kind: str, row: Any, width: int) -> Text:
    """One aligned row: mark, index, key columns, then A's and B's side."""
    mark, mark_style = MARKS[row.state]
    out = Text(no_wrap=True, end="")
    out.append(mark, style=mark_style)
    out.append(f"{row.index + 1:>4} ", style="dim")
    rest = max(width - out.cell_len, 10)
    if kind == "stage":
        name = row.node_id + (f" #{row.occurrence}" if row.occurrence > 1 else "")
        key_w = min(max(rest // 5, 8), 24)
        out.append_text(_cell([(name, "bold")], key_w))
        side_w = max((rest - key_w - 2) // 2, 4)
        out.append(" ")
        out.append_text(_stage_side(row.a, row.changes, side_w))
        out.append("│", style="dim")
        out.append_text(_stage_side(row.b, row.changes, side_w))
    elif kind == "tool":
        key_w = min(max(rest // 3, 12), 44)
        key = [(row.tool or "?", "bold"), ("(", "dim"), (row.shown_args, "dim"), (")", "dim")]
        if row.occurrence > 1:
            key.append((f" #{row.occurrence}", "dim"))
        out.append_text(_cell(key, key_w))
        side_w = max((rest - key_w - 2) // 2, 4)
        out.append(" ")
        out.append_text(_tool_side(row.a, row.changes, side_w))
        out.append("│", style="dim")
        out.append_text(_tool_side(row.b, row.changes, side_w))
    else:
        side = row.a or row.b
        key_w = min(max(rest // 6, 8), 18)
        out.append_text(_cell([(side.where, "dim")], key_w))
        side_w = max((rest - key_w - 2) // 2, 4)
        out.append(" ")
        out.append_text(_turn_side(row.a, row.changes, side_w))
        out.append("│", style="dim")
        out.append_text(_turn_side(row.b, row.changes, side_w))
    return out


def _fields(kind: str, row: Any) -> list[tuple[str, str, str, str]]:
    """(key, label, A text, B text) of a row, for the detail box."""
    a, b = row.a, row.b

    def get(side: Any, attr: str) -> str:
        if side is None:
            return ""
        value = getattr(side, attr)
        return "" if value is None else str(value)

    if kind == "stage":
        keys = [("status", "status"), ("outcome", "outcome"), ("branch", "branch"),
                ("error", "error"), ("visible_text", "visible text")]
        out = [(k, label, get(a, k), get(b, k)) for k, label in keys]
        out.append(("tokens", "tokens in/out",
                    f"{get(a, 'input_tokens')}/{get(a, 'output_tokens')}" if a else "",
                    f"{get(b, 'input_tokens')}/{get(b, 'output_tokens')}" if b else ""))
        out.append(("duration", "duration",
                    format_duration(a.duration_ms) if a else "",
                    format_duration(b.duration_ms) if b else ""))
        return out
    if kind == "tool":
        return [("status", "status", get(a, "status"), get(b, "status")),
                ("result", "result", get(a, "result"), get(b, "result")),
                ("duration", "duration",
                 format_duration(a.duration_ms) if a else "",
                 format_duration(b.duration_ms) if b else "")]
    return [("where", "where", get(a, "where"), get(b, "where")),
            ("model", "model", get(a, "model"), get(b, "model")),
            ("tokens", "tokens in/out",
             f"{_tok(a.input_tokens)}/{_tok(a.output_tokens)}" if a else "",
             f"{_tok(b.input_tokens)}/{_tok(b.output_tokens)}" if b else ""),
            ("tool_calls", "tool calls", get(a, "tool_calls"), get(b, "tool_calls")),
            ("response", "response", get(a, "response"), get(b, "response")),
            ("input", "input messages", get(a, "input"), get(b, "input"))]


def text_diff(a_text: str, b_text: str) -> Text:
    """A unified diff from B (baseline, `-`) to A (current, `+`), safely rendered."""
    a_lines = a_text.splitlines()[:DIFF_INPUT_LINES]
    b_lines = b_text.splitlines()[:DIFF_INPUT_LINES]
    out = Text()
    shown = 0
    for diff_line in difflib.unified_diff(b_lines, a_lines, "B", "A", n=2, lineterm=""):
        if diff_line.startswith(("---", "+++")):
            continue
        if shown >= DIFF_LINES:
            out.append("  … (diff cut)\n", style="dim italic")
            break
        style = ("green" if diff_line.startswith("+") else "red" if diff_line.startswith("-")
                 else "cyan" if diff_line.startswith("@@") else "dim")
        out.append_text(line(diff_line, style, 400))
        out.append("\n")
        shown += 1
    return out


def render_detail(kind: str, row: Any) -> Text:
    """The selected row: its description, then every field of A and B (diffs for long text)."""
    out = Text()
    mark, mark_style = MARKS[row.state]
    out.append(mark, style=mark_style)
    out.append_text(line(row.describe(), "bold", 300))
    out.append("\n")
    if kind == "tool":
        out.append("args ", style="dim")
        out.append_text(line(row.shown_args, "", 300))
        if row.source == "recording":
            out.append(f"  (recording; args hash {row.args[:16]})\n", style="dim")
        else:
            out.append(f"  ({row.source})\n", style="dim")
    for key, title, a_text, b_text in _fields(kind, row):
        changed = key in row.changes
        if not a_text and not b_text:
            continue
        multi = "\n" in a_text or "\n" in b_text or len(a_text) > 70 or len(b_text) > 70
        out.append(f"{title:>14} ", style="bold yellow" if changed else "dim")
        if changed and multi and row.a is not None and row.b is not None:
            out.append("(- B baseline, + A current)\n", style="dim")
            out.append_text(text_diff(a_text, b_text))
            continue
        if multi:
            same = row.a is not None and row.b is not None and a_text == b_text
            out.append("same in both\n" if same else "\n", style="dim")
            sides = [("A", a_text, row.a), ("B", b_text, row.b)] if not same else [("", a_text, 1)]
            for name, value, present in sides:
                if present is None:
                    continue
                if name:
                    out.append(f"  {name}: ", style="bold")
                body = safe(value, limit=2000)
                body.stylize("dim" if same else "")
                out.append_text(body)
                out.append("\n")
            continue
        if a_text == b_text and row.a is not None and row.b is not None:
            out.append_text(line(a_text, "", 100))
            out.append("  (same)\n", style="dim")
            continue
        out.append("A ", style="bold")
        out.append_text(line(a_text or "—", "yellow" if changed else "", 60))
        out.append("   B ", style="bold")
        out.append_text(line(b_text or "—", "yellow" if changed else "", 60))
        out.append("\n")
    return out


class DiffList(VirtualList):
    """Aligned rows of one section (stages, tool calls or turns)."""

    def __init__(self, kind: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        self.rows: list[C.DiffRow] = []

    def show_rows(self, rows: list[C.DiffRow]) -> None:
        self.rows = rows
        self.set_count(len(rows), keep=0)

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        return render_row(self.kind, self.rows[index], width)

    def current(self) -> C.DiffRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None


def render_usage(delta: C.UsageDelta) -> Text:
    """Usage of A and B with A − B; more is red (+), less is green (−)."""
    out = Text()
    out.append(f"{'':<12} {'A current':>14} {'B baseline':>14} {'A − B':>14} {'':>8}\n",
               style="bold")
    for key, title, d in delta.rows():
        def fmt(value: Any, signed: bool = False, key: str = key) -> str:
            if value is None:
                return "-"
            if key == "duration_ms":
                text = format_duration(abs(value))
                return (("+" if value > 0 else "−" if value < 0 else "±") + text) if signed else text
            if key == "total_cost":
                return f"{value:+.4f}" if signed else f"{value:.4f}"
            return f"{int(value):+,}" if signed else f"{int(value):,}"

        out.append(f"{title:<12} ", style="dim")
        out.append(f"{fmt(d.a):>14} {fmt(d.b):>14} ")
        change = d.delta
        style = "" if not change else "bold red" if change > 0 else "bold green"
        out.append(f"{fmt(change, signed=True):>14}", style=style)
        ratio = d.ratio
        out.append(f" {ratio:+8.1%}" if ratio is not None else f" {'':>8}", style=style or "dim")
        out.append("\n")
    return out


# -- baseline picker -------------------------------------------------------------


class BaselinePicker(ModalScreen["str | None"]):
    """Pick the baseline among other runs of the same workflow (Enter picks, esc cancels)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(self, runs: list[RunSummary], current: str | None = None) -> None:
        super().__init__()
        self.runs = runs
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="picker-title")
            yield PaneTable(id="picker-table")

    def on_mount(self) -> None:
        title = Text("Pick a baseline ", style="bold")
        title.append(f"({plural(len(self.runs), 'other run')} of this workflow, newest first)", style="dim")
        self.query_one("#picker-title", Static).update(title)
        table = self.query_one(PaneTable)
        table.add_columns("started", "status", "stages", "tokens", "id", "path")
        for run in self.runs:
            started = format_iso(run.started_at_ms) or run.started_at or "-"
            marker = "● " if run.path == self.current else ""
            table.add_row(
                line(marker + started, "", 22), badge(run.status, None, 14), str(run.stage_count),
                f"{_tok(run.input_tokens)}/{_tok(run.output_tokens)}",
                line(run.id, "dim", 40), line(run.path, "dim", 60), key=run.path,
            )
        if self.current is not None:
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(self.current), animate=False)
        table.focus()

    @on(PaneTable.RowSelected)
    def _picked(self, event: PaneTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the screen ------------------------------------------------------------------


class CompareScreen(Screen[None]):
    """Run A (current) against run B (baseline, default: the previous run of its workflow)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("d", "first_divergence", "First divergence"),
        Binding("n", "next_diff(1)", "Next diff"),
        Binding("N", "next_diff(-1)", "Prev diff", show=False),
        Binding("b", "pick_baseline", "Baseline"),
        Binding("s", "swap", "Swap A/B", show=False),
        Binding("1", "section('stages')", "Stages", show=False),
        Binding("2", "section('tools')", "Tools", show=False),
        Binding("3", "section('usage')", "Usage", show=False),
        Binding("4", "section('turns')", "Turns", show=False),
        Binding("tab", "next_section(1)", "Next section", show=False, priority=True),
        Binding("shift+tab", "next_section(-1)", "Prev section", show=False, priority=True),
        Binding("r", "raw", "Raw JSON"),
    ]

    def __init__(self, current_path: Path, baseline_path: Path | None = None) -> None:
        super().__init__()
        self.current_path = Path(current_path)
        self.baseline_path = Path(baseline_path) if baseline_path is not None else None
        self.a: RunDetail | None = None
        self.b: RunDetail | None = None
        self.comparison: C.Comparison | None = None
        self.baseline_note = "given" if baseline_path is not None else ""

    def compose(self) -> ComposeResult:
        yield FieldBlock(id="compare-header")
        yield LoadingIndicator(id="compare-loading")
        with TabbedContent(id="compare-tabs"):
            for kind, tab, title in SECTIONS:
                with TabPane(title, id=f"cmp-{tab}"):
                    if kind == "usage":
                        with VerticalScroll(classes="cmp-body", id="cmp-usage-scroll"):
                            yield Static(id="cmp-usage-text")
                        continue
                    with Vertical(classes="cmp-body"):
                        yield DiffList(kind, id=f"cmp-{kind}-list")
                        with VerticalScroll(classes="cmp-detail-box"):
                            yield Static(id=f"cmp-{kind}-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#compare-tabs").display = False
        text = Text("Comparing ", style="dim")
        text.append_text(line(self.current_path.name, "bold", 80))
        text.append(" …", style="dim")
        self.query_one("#compare-header", FieldBlock).update(text)
        self.app.when_index_ready(self, self.load, WAIT_SECONDS)  # type: ignore[attr-defined]

    # -- loading ------------------------------------------------------------------

    def _load_one(self, path: Path) -> RunDetail:
        from harn_tui.core.eventlog.attach import RunAttacher
        from harn_tui.core.format.normalize import load_run

        app: Any = self.app
        detail = load_run(path, root=app.root)
        attacher = RunAttacher(app.event_log, questions=app.log_questions, log_error=app.event_log_error)
        attacher.attach(detail)
        return detail

    @work(thread=True, exclusive=True, group="compare-load")
    def load(self) -> None:
        """Load A, find B (unless given), load B and compare, off the UI thread."""
        app: Any = self.app
        try:
            current = self._load_one(self.current_path)
        except HarnTuiError as exc:
            self.app.call_from_thread(self._failed, f"{self.current_path}: {exc.reason}")
            return
        note = ""
        if self.baseline_path is None:
            runs = self.app.call_from_thread(lambda: list(app.runs.values()))
            summary = self._summary(current)
            found = C.default_baseline(runs, summary)
            if found is None:
                self.app.call_from_thread(self._no_baseline, current)
                return
            self.baseline_path = Path(app.root) / found.path
            note = "previous run"
        try:
            baseline = self._load_one(self.baseline_path)
        except HarnTuiError as exc:
            self.app.call_from_thread(self._failed, f"{self.baseline_path}: {exc.reason}")
            return
        comparison = C.compare(current, baseline)
        self.app.call_from_thread(self._show, current, baseline, comparison, note)

    def _rel(self, path: Path) -> str:
        app: Any = self.app
        return app.index.relative(path) or str(path)

    def _summary(self, detail: RunDetail) -> RunSummary:
        """The current run's summary: the App's own (its index), else one made from the record
        (a run outside the root, or one the index last saw broken)."""
        from harn_tui.core.index.summary import summarize

        app: Any = self.app
        rel = self._rel(self.current_path)
        known = app.runs.get(rel)
        return known if known is not None and not known.broken else summarize(detail.raw, rel)

    def _failed(self, reason: str) -> None:
        self.query_one("#compare-loading").display = False
        text = Text("Cannot compare: ", style="bold red")
        text.append_text(line(reason, "red", 300))
        self.query_one("#compare-header", FieldBlock).update(text)

    def _no_baseline(self, current: RunDetail) -> None:
        self.a = current
        self.query_one("#compare-loading").display = False
        text = self._run_line("A", current, "current")
        text.append("\nNo earlier run of this workflow to compare with. ", style="bold yellow")
        text.append("Press b to pick a baseline.", style="dim")
        self.query_one("#compare-header", FieldBlock).update(text)

    def _show(self, a: RunDetail, b: RunDetail, comparison: C.Comparison, note: str) -> None:
        self.a, self.b, self.comparison = a, b, comparison
        self.baseline_note = note or self.baseline_note or "picked"
        self.query_one("#compare-loading").display = False
        self.query_one("#compare-tabs").display = True
        self._render_header()
        for kind in ("stage", "tool", "turn"):
            listing = self.query_one(f"#cmp-{kind}-list", DiffList)
            listing.show_rows(list(comparison.rows(kind)))
            self._render_detail(kind)
        self.query_one("#cmp-usage-text", Static).update(self._usage_text())
        self.call_after_refresh(self._focus_section)

    # -- rendering ----------------------------------------------------------------

    def _run_fields(self, name: str, detail: RunDetail, role: str) -> list[Text]:
        run = detail.record
        title = Text(no_wrap=True, end="")
        title.append(f"{name} ", style="bold reverse" if name == "A" else "bold")
        title.append_text(line(run.display_name, "bold", 30))
        started = parse_ms(run.started_at)
        when = Text(format_iso(started) if started is not None else (run.started_at or "-"), end="")
        return [title, badge(run.status, None, 16), line(run.id, "dim", 36), when,
                Text(f"({role})", style="dim", end="")]

    def _run_line(self, name: str, detail: RunDetail, role: str) -> Text:
        return pack([self._run_fields(name, detail, role)], self.size.width - 2 if self.size.width else 118)

    def _render_header(self) -> None:
        assert self.a is not None and self.b is not None and self.comparison is not None
        cmp = self.comparison
        rows: list[list[Text]] = [
            self._run_fields("A", self.a, "current"),
            self._run_fields("B", self.b, f"baseline, {self.baseline_note}"),
        ]
        turns = f"turns {cmp.changed('turn')}/{len(cmp.turn_diffs)} differ"
        if cmp.turn_source != "none":
            turns += f" ({cmp.turn_source})"
        rows.append([Text(f"stages {cmp.changed('stage')}/{len(cmp.stage_diffs)} differ", style="dim"),
                     Text(f"tool calls {cmp.changed('tool')}/{len(cmp.tool_diffs)} differ", style="dim"),
                     Text(turns, style="dim")])
        rows.append(legend_fields())
        log_error = self.a.event_log_error or self.b.event_log_error
        if log_error:
            note = Text("event log: ", style="dim", end="")
            note.append_text(line(log_error, "yellow", 100))
            note.append(" (agent-session tool calls left out)", style="dim")
            rows.append([note])
        div = cmp.first_divergence
        if div is None:
            rows.append([Text("✓ no divergence: the runs match", style="bold green")])
        else:
            text = Text("first divergence ", style="bold yellow", end="")
            text.append_text(line(div.description, "yellow", 110))
            tail = Text(end="")
            if div.offset_ms is not None:
                tail.append(f"at +{format_duration(max(div.offset_ms, 0))}  ", style="dim")
            tail.append("(d)", style="dim")
            rows.append([text, tail])
        self.query_one("#compare-header", FieldBlock).set_fields(rows)

    def _usage_text(self) -> Text:
        assert self.comparison is not None
        return render_usage(self.comparison.usage_delta)

    def _render_detail(self, kind: str) -> None:
        row = self.query_one(f"#cmp-{kind}-list", DiffList).current()
        target = self.query_one(f"#cmp-{kind}-detail", Static)
        if row is None:
            empty = {"stage": "Neither run has stages.", "tool": "Neither run has tool calls.",
                     "turn": "Neither run has model turns (no sidecar, no transcript)."}
            target.update(Text(empty[kind], style="dim italic"))
        else:
            target.update(render_detail(kind, row))

    @on(VirtualList.Highlighted)
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        if isinstance(event.list, DiffList):
            self._render_detail(event.list.kind)

    @on(VirtualList.Selected)
    def _selected(self, event: VirtualList.Selected) -> None:
        if isinstance(event.list, DiffList):
            self.action_raw()

    # -- sections -----------------------------------------------------------------

    def current_section(self) -> str:
        active = self.query_one("#compare-tabs", TabbedContent).active or "cmp-stages"
        return active.removeprefix("cmp-")

    def _kind(self, section: str) -> str:
        return next(kind for kind, tab, _ in SECTIONS if tab == section)

    def current_list(self) -> DiffList | None:
        kind = self._kind(self.current_section())
        return None if kind == "usage" else self.query_one(f"#cmp-{kind}-list", DiffList)

    def _focus_section(self) -> None:
        listing = self.current_list()
        if listing is not None:
            listing.focus()
        else:
            self.query_one("#cmp-usage-scroll").focus()

    def action_section(self, section: str) -> None:
        self.query_one("#compare-tabs", TabbedContent).active = f"cmp-{section}"
        self.call_after_refresh(self._focus_section)

    def action_next_section(self, step: int) -> None:
        tabs = [tab for _, tab, _ in SECTIONS]
        index = (tabs.index(self.current_section()) + step) % len(tabs)
        self.action_section(tabs[index])

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self.call_after_refresh(self._focus_section)

    # -- actions ------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_first_divergence(self) -> None:
        if self.comparison is None:
            return
        div = self.comparison.first_divergence
        if div is None:
            self.app.notify("The runs do not differ.", title="No divergence", markup=False)
            return
        section = next(tab for kind, tab, _ in SECTIONS if kind == div.kind)
        self.query_one("#compare-tabs", TabbedContent).active = f"cmp-{section}"
        listing = self.query_one(f"#cmp-{div.kind}-list", DiffList)
        listing.cursor = div.index
        listing.focus()

    def action_next_diff(self, step: int) -> None:
        listing = self.current_list()
        if listing is None or not listing.rows:
            return
        index = listing.cursor + step
        while 0 <= index < len(listing.rows):
            if listing.rows[index].differs:
                listing.cursor = index
                return
            index += step
        self.app.notify("no more differences in this section", markup=False)

    def action_pick_baseline(self) -> None:
        if self.a is None:
            return
        app: Any = self.app
        summary = self._summary(self.a)
        runs = C.baseline_candidates(app.runs.values(), summary)
        if not runs:
            self.app.notify("no other run of this workflow", markup=False)
            return
        current = self._rel(self.baseline_path) if self.baseline_path is not None else None
        self.app.push_screen(BaselinePicker(runs, current), self._baseline_picked)

    def _baseline_picked(self, rel: str | None) -> None:
        if rel is None:
            return
        app: Any = self.app
        self.baseline_path = Path(app.root) / rel
        self.baseline_note = "picked"
        self._reload()

    def action_swap(self) -> None:
        if self.baseline_path is None or self.a is None or self.b is None:
            return
        self.current_path, self.baseline_path = self.baseline_path, self.current_path
        self.baseline_note = "swapped"
        self._reload()

    def _reload(self) -> None:
        self.query_one("#compare-loading").display = True
        self.load()

    def action_raw(self) -> None:
        listing = self.current_list()
        row = listing.current() if listing is not None else None
        if row is None:
            if self.comparison is not None:
                self.post_message(OpenJson(
                    {"usage": {k: {"a": d.a, "b": d.b, "delta": d.delta}
                               for k, _, d in self.comparison.usage_delta.rows()}},
                    "usage A vs B"))
            return
        value = {
            "state": row.state,
            "changes": list(row.changes),
            "A": row.a.raw if row.a is not None else None,
            "B": row.b.raw if row.b is not None else None,
        }
        self.post_message(OpenJson(value, row.describe()[:80]))


def open_compare(app: Any, current_path: Path, baseline_path: Path | None = None) -> None:
    """Push the compare screen (what the run list's and run detail's `c` key call)."""
    app.push_screen(CompareScreen(Path(current_path), baseline_path))
