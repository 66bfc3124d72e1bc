"""Waterfall pane: stages and trace spans as nested bars on a zoomable time axis.

Each row reads `label (indented by depth) │ ███ bar on the time axis │ duration │ heat`,
where the heat cell's background scales with the row's tokens (or cost, `c`) relative
to the largest in its group. `+`/`-` zoom the time window around the cursor row's
start, `h`/`l` pan, `z` resets; Enter or `r` opens the row's JSON.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Static

from harn_tui.core.analysis.waterfall import CYCLE, ORPHAN, STAGES, Bar, Waterfall, build_waterfall
from harn_tui.core.format.numbers import fmt_tokens
from harn_tui.core.format.timestamps import format_duration
from harn_tui.messages import OpenJson
from harn_tui.text import line
from harn_tui.widgets.panes.pane import Pane
from harn_tui.widgets.status import STYLES, group_of
from harn_tui.widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

#: Zoom step (`+` halves the window, `-` doubles it) and the narrowest window.
ZOOM = 2.0
MIN_WINDOW_MS = 1.0
#: `h` / `l` move the window by this fraction of its width.
PAN = 0.25
#: Deepest indentation drawn (deeper rows stay at this indent, the depth is in the detail).
MAX_INDENT = 12
DUR_W = 8
HEAT_W = 9
#: Left-aligned eighth blocks for the bar's right edge.
EIGHTHS = " ▏▎▍▌▋▊▉"

KIND_STYLES = {
    "group": "bold",
    "stage": "bright_white",
    "pipeline": "bright_blue",
    "fn_call": "blue",
    "llm_call": "magenta",
    "tool_call": "cyan",
    "import": "bright_black",
    "parallel": "yellow",
    "spawn": "green",
}
KIND_ICONS = {
    "group": "▾",
    "stage": "■",
    "pipeline": "◆",
    "fn_call": "ƒ",
    "llm_call": "✦",
    "tool_call": "⚒",
    "import": "↓",
    "parallel": "⇉",
    "spawn": "↗",
}
OTHER_STYLE = "white"
OTHER_ICON = "•"


def bar_style(bar: Bar) -> str:
    """Colour of a row's bar: failed stages red, spans by kind."""
    if bar.kind == "stage":
        group = group_of(bar.status)
        return STYLES["failed"] if group == "failed" else KIND_STYLES["stage"]
    return KIND_STYLES.get(bar.kind, OTHER_STYLE)


def heat_style(heat: float) -> Style:
    """A background from dark amber (cold) to bright red-orange (hottest)."""
    heat = min(max(heat, 0.0), 1.0)
    lo, hi = (70, 50, 20), (230, 70, 20)
    rgb = tuple(round(a + (b - a) * heat) for a, b in zip(lo, hi, strict=True))
    return Style.parse(f"bold #ffffff on #{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}")


def columns(width: int) -> tuple[int, int]:
    """(label width, bar width) for a row `width` cells wide (plus duration and heat)."""
    fixed = DUR_W + HEAT_W + 3  # three separating spaces
    label_w = min(max(width * 3 // 10, 12), 40)
    bar_w = width - fixed - label_w
    if bar_w < 10:
        label_w = max(width - fixed - 10, 4)
        bar_w = max(width - fixed - label_w, 1)
    return label_w, bar_w


def nice_step(raw: float) -> float:
    """The smallest 1/2/5 × 10^k (ms, at least 1) not below `raw`."""
    if raw <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if mult * power >= raw:
            return float(mult * power)
    return float(10 * power)


def fmt_axis(ms: float, step: float) -> str:
    """A tick label precise enough to tell ticks `step` apart."""
    if step >= 60_000:
        return format_duration(ms)
    if abs(ms) < 1000 and step < 1000:
        return f"{ms:.0f}ms"
    decimals = 0 if step >= 1000 else min(3, 3 - math.floor(math.log10(step)))
    return f"{ms / 1000:.{decimals}f}s"


def ticks(start: float, end: float, bar_w: int) -> list[tuple[int, float]]:
    """(column, ms) of the axis ticks in window [start, end] drawn `bar_w` wide."""
    span = max(end - start, MIN_WINDOW_MS)
    step = nice_step(span / max(bar_w // 12, 1))
    first = math.ceil(start / step) * step
    out = []
    t = first
    while t <= end and len(out) < 200:
        col = int((t - start) / span * bar_w)
        if 0 <= col < bar_w:
            out.append((col, t))
        t += step
    return out


def draw_bar(bar: Bar, start: float, end: float, bar_w: int, grid: frozenset[int]) -> Text:
    """The bar of one row positioned in window [start, end], `bar_w` cells wide."""
    span = max(end - start, MIN_WINDOW_MS)
    style = bar_style(bar)
    cells = [" "] * bar_w
    for col in grid:
        cells[col] = "┊"
    text = Text(no_wrap=True, end="")
    b0, b1 = bar.start_ms, bar.end_ms
    if b1 < start or (b1 == start and bar.duration_ms):
        text.append("◀", style="dim " + style)
        text.append("".join(cells[1:]), style="dim")
        return text
    if b0 > end:
        text.append("".join(cells[:-1]), style="dim")
        text.append("▶", style="dim " + style)
        return text
    x0 = (max(b0, start) - start) / span * bar_w
    x1 = (min(b1, end) - start) / span * bar_w
    c0 = min(int(x0), bar_w - 1)
    full = int(x1) - c0
    frac = x1 - int(x1)
    if bar.is_group:
        body = "━" * max(full, 1)
    elif full <= 0:
        cells_wide = x1 - x0
        body = "▏" if cells_wide < 0.25 else "▌" if cells_wide < 0.75 else "█"
    else:
        body = "█" * full
        part = int(frac * 8)
        if part and c0 + full < bar_w:
            body += EIGHTHS[part]
    body = body[: bar_w - c0]
    clipped_left = b0 < start
    clipped_right = b1 > end
    text.append("".join(cells[:c0]), style="dim")
    if clipped_left and body:
        text.append("◀", style=style)
        body = body[1:]
    if clipped_right and body and len(body) > 1:
        text.append(body[:-1], style=style)
        text.append("▶", style=style)
    else:
        text.append(body, style=style)
    used = text.cell_len
    if used < bar_w:
        text.append("".join(cells[used:]), style="dim")
    return text


def heat_text(bar: Bar, waterfall: Waterfall, metric: str) -> Text:
    """The heat cell: tokens (or cost) on a background scaled to the group's largest."""
    if metric == "cost":
        value = bar.cost
        shown = "" if not value else (f"${value:.2f}" if value >= 1 else f"${value:.4f}")
    else:
        value = bar.tokens
        shown = fmt_tokens(value) if value else ""
    if not shown:
        return Text("·".rjust(HEAT_W), style="dim", no_wrap=True, end="")
    cell = shown[: HEAT_W - 1].rjust(HEAT_W - 1) + " "
    if bar.is_group:
        return Text(cell, style="bold", no_wrap=True, end="")
    return Text(cell, style=heat_style(waterfall.heat(bar, metric)), no_wrap=True, end="")


class WaterfallList(VirtualList):
    """The waterfall rows (rendered on demand, so 50,000 spans cost one screenful)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.waterfall = Waterfall([], 0, 0)
        self.window: tuple[float, float] = (0.0, 1.0)
        self.metric = "tokens"
        self._grid_key: tuple[int, float, float] | None = None
        self._grid: frozenset[int] = frozenset()

    def row_width(self) -> int:
        return self.scrollable_content_region.width or self.size.width or 80

    def grid(self, bar_w: int) -> frozenset[int]:
        key = (bar_w, *self.window)
        if key != self._grid_key:
            self._grid_key = key
            self._grid = frozenset(col for col, _ in ticks(*self.window, bar_w) if col)
        return self._grid

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        bar = self.waterfall.rows[index]
        label_w, bar_w = columns(width)
        text = Text(no_wrap=True, end="")
        style = bar_style(bar)
        indent = 0 if bar.is_group else 1 + min(bar.depth, MAX_INDENT)
        text.append(" " * indent)
        if bar.note in (ORPHAN, CYCLE):
            text.append("⚠" if bar.note == ORPHAN else "↻", style="bold yellow")
        icon = KIND_ICONS.get(bar.kind, OTHER_ICON)
        text.append(icon + " ", style=style)
        rest = max(label_w - text.cell_len, 1)
        text.append_text(line(bar.label, "bold" if bar.is_group else "", rest))
        text.truncate(label_w, overflow="ellipsis", pad=True)
        text.append(" ")
        text.append_text(draw_bar(bar, *self.window, bar_w, self.grid(bar_w)))
        text.append(" ")
        text.append(format_duration(bar.duration_ms).rjust(DUR_W)[:DUR_W], style="bold" if bar.is_group else "")
        text.append(" ")
        text.append_text(heat_text(bar, self.waterfall, self.metric))
        return text


class AxisHeader(Widget):
    """One line over the list: the column titles and the time axis ticks."""

    DEFAULT_CSS = "AxisHeader { height: 1; }"

    def __init__(self, target: WaterfallList, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.target = target

    def render(self) -> Text:
        target = self.target
        width = target.row_width()
        label_w, bar_w = columns(width)
        text = Text(no_wrap=True, end="")
        text.append("span / stage".ljust(label_w)[:label_w], style="bold")
        text.append(" ")
        axis = [" "] * bar_w
        for col, ms in ticks(*target.window, bar_w):
            mark = "╷" + fmt_axis(ms, _step(target.window, bar_w))
            if col + len(mark) > bar_w:
                break
            if any(c != " " for c in axis[max(col - 1, 0): col + len(mark)]):
                continue
            axis[col: col + len(mark)] = list(mark)
        text.append("".join(axis), style="dim")
        text.append(" ")
        text.append("duration".rjust(DUR_W), style="bold")
        text.append(" ")
        text.append(("cost" if target.metric == "cost" else "tokens").rjust(HEAT_W - 1) + " ", style="bold")
        return text


def _step(window: tuple[float, float], bar_w: int) -> float:
    return nice_step(max(window[1] - window[0], MIN_WINDOW_MS) / max(bar_w // 12, 1))


class WaterfallPane(Pane):
    """Stages and trace spans as a waterfall: zoom `+`/`-`, pan `h`/`l`, reset `z`, open Enter/`r`."""

    title = "Waterfall"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "zoom(1)", "Zoom in"),
        Binding("minus", "zoom(-1)", "Zoom out"),
        Binding("h,left", "pan(-1)", "Pan left", show=False),
        Binding("l,right", "pan(1)", "Pan right", show=False),
        Binding("z", "reset_zoom", "Reset zoom"),
        Binding("c", "toggle_metric", "Heat: tokens/cost", show=False),
        Binding("r", "open", "Raw JSON"),
    ]

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.waterfall = Waterfall([], 0, 0)
        self._stale = False

    def compose(self) -> ComposeResult:
        target = WaterfallList(id="waterfall-list")
        yield Static(id="waterfall-status")
        yield AxisHeader(target, id="waterfall-axis")
        yield target
        yield Static(id="waterfall-detail")
        yield Static(id="waterfall-empty", classes="empty-note")

    @property
    def list(self) -> WaterfallList:
        return self.query_one("#waterfall-list", WaterfallList)

    # -- data -----------------------------------------------------------------

    def show(self, detail: RunDetail) -> None:
        """Take a fresh detail; the (50,000-span) rebuild waits until the pane is on screen."""
        super().show(detail)
        self._stale = True
        if self.on_screen():
            self._rebuild()

    def on_show(self) -> None:
        if self._stale and self.detail is not None:
            self._rebuild()

    def _rebuild(self) -> None:
        detail = self.detail
        if detail is None:
            return
        self._stale = False
        target = self.list
        old = self.current_bar()
        key = old.key if old is not None else None
        cursor = target.cursor
        full_before = self.is_full()
        self.waterfall = waterfall = build_waterfall(detail)
        target.waterfall = waterfall
        if full_before:
            target.window = self.full_window()
        else:
            target.window = self._clamp_window(*target.window)
        if key is not None:
            found = waterfall.index_of(key)
            cursor = found if found is not None else cursor
        target.set_count(len(waterfall.rows), keep=cursor)
        has = bool(waterfall.rows)
        for wid in ("#waterfall-status", "#waterfall-axis", "#waterfall-list", "#waterfall-detail"):
            self.query_one(wid).display = has
        empty = self.query_one("#waterfall-empty", Static)
        empty.display = not has
        empty.update(Text("No stages or trace spans in this run.") if not has else Text(""))
        self._refresh_all()

    def full_window(self) -> tuple[float, float]:
        wf = self.waterfall
        return (float(wf.start), float(wf.start + wf.span))

    def is_full(self) -> bool:
        return self.list.window == self.full_window() or not self.waterfall.rows

    def current_bar(self) -> Bar | None:
        rows = self.waterfall.rows
        index = self.list.cursor
        return rows[index] if 0 <= index < len(rows) else None

    def selection(self) -> tuple[str, Any] | None:
        bar = self.current_bar()
        if bar is None:
            return None
        return self._title(bar), bar.ref

    @staticmethod
    def _title(bar: Bar) -> str:
        if bar.is_group:
            return "stages" if bar.group == STAGES else "trace spans"
        if bar.kind == "stage":
            return f"stage {bar.label}"
        return f"span {bar.span_id} {bar.label}"

    # -- rendering ------------------------------------------------------------

    def _refresh_all(self) -> None:
        self.list.refresh()
        self.query_one("#waterfall-axis", AxisHeader).refresh()
        self._render_status()
        self._render_detail()

    def _render_status(self) -> None:
        start, end = self.list.window
        full = self.full_window()
        zoom = (full[1] - full[0]) / max(end - start, MIN_WINDOW_MS)
        text = Text(no_wrap=True, end="")
        text.append(f"window {fmt_axis(start, 1)}–{fmt_axis(end, 1)}", style="bold")
        text.append(f"  zoom ×{zoom:.3g}" if zoom > 1.0001 else "  full", style="")
        rows = self.waterfall.rows
        if rows:
            text.append(f"  row {self.list.cursor + 1:,}/{len(rows):,}", style="dim")
        if self.waterfall.stage_layout in ("durations", "mixed"):
            text.append("  stages laid end to end by usage duration", style="yellow")
        text.append(f"  heat: {self.list.metric}", style="dim")
        text.append("  +/- zoom · h/l pan · z reset · c heat · ⏎ JSON", style="dim")
        self.query_one("#waterfall-status", Static).update(text)

    def detail_text(self, bar: Bar) -> Text:
        """Two lines about the selected row (all record text made safe)."""
        style = bar_style(bar)
        out = Text(no_wrap=True, end="")
        out.append(KIND_ICONS.get(bar.kind, OTHER_ICON) + " ", style=style)
        out.append_text(line(bar.kind, style))
        out.append(" ")
        out.append_text(line(bar.label, "bold", 80))
        if bar.note == ORPHAN:
            out.append(f"  ⚠ parent {bar.parent_id} not found", style="yellow")
        elif bar.note == CYCLE:
            out.append(f"  ↻ parent loop (parent {bar.parent_id})", style="yellow")
        if bar.status:
            out.append("  status ", style="dim")
            out.append_text(line(bar.status, STYLES.get(group_of(bar.status), ""), 20))
        out.append("\n")
        out.append("at ", style="dim")
        out.append(f"+{format_duration(bar.start_ms)}")
        out.append("  duration ", style="dim")
        out.append(format_duration(bar.duration_ms))
        if bar.span_id is not None:
            out.append("  span ", style="dim")
            out.append(str(bar.span_id))
            if bar.parent_id is not None:
                out.append(" ← ", style="dim")
                out.append(str(bar.parent_id))
        if bar.children:
            noun = "rows" if bar.is_group else "child" if bar.children == 1 else "children"
            out.append(f"  {bar.children:,} {noun}", style="dim")
        meta = bar.ref.get("metadata") if isinstance(bar.ref, dict) else None
        if isinstance(meta, dict):
            for key in ("model", "provider", "tool_name"):
                value = meta.get(key)
                if isinstance(value, str) and value:
                    out.append(f"  {key} ", style="dim")
                    out.append_text(line(value, "", 40))
        if bar.tokens:
            out.append("  tokens ", style="dim")
            out.append(f"{bar.tokens_in:,} in / {bar.tokens_out:,} out")
        if bar.cost:
            out.append(f"  ${bar.cost:.4f}")
        raw = bar.ref if isinstance(bar.ref, dict) else {}
        ttft = raw.get("ttft_ms", meta.get("ttft_ms") if isinstance(meta, dict) else None)
        if isinstance(ttft, int | float) and not isinstance(ttft, bool):
            out.append("  TTFT ", style="dim")  # [later] spans carry time to first token
            out.append(format_duration(ttft))
        if isinstance(raw.get("trace_id"), str) and raw["trace_id"]:
            out.append("  trace ", style="dim")
            out.append_text(line(raw["trace_id"], "", 40))
        if isinstance(raw.get("links"), list) and raw["links"]:
            out.append(f"  {len(raw['links'])} links", style="dim")
        return out

    def _render_detail(self) -> None:
        bar = self.current_bar()
        target = self.query_one("#waterfall-detail", Static)
        target.update(self.detail_text(bar) if bar is not None else Text())

    @on(VirtualList.Highlighted, "#waterfall-list")
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        event.stop()
        self._render_status()
        self._render_detail()

    @on(VirtualList.Selected, "#waterfall-list")
    def _selected(self, event: VirtualList.Selected) -> None:
        event.stop()
        self.action_open()

    def on_resize(self) -> None:
        self.query_one("#waterfall-axis", AxisHeader).refresh()

    # -- actions --------------------------------------------------------------

    def action_open(self) -> None:
        picked = self.selection()
        if picked is not None:
            title, value = picked
            self.post_message(OpenJson(value, title))

    def _clamp_window(self, start: float, end: float) -> tuple[float, float]:
        full_start, full_end = self.full_window()
        width = min(max(end - start, MIN_WINDOW_MS), full_end - full_start)
        start = min(max(start, full_start), full_end - width)
        return (start, start + width)

    def _set_window(self, start: float, end: float) -> None:
        self.list.window = self._clamp_window(start, end)
        self._refresh_all()

    def action_zoom(self, direction: int) -> None:
        bar = self.current_bar()
        if bar is None:
            return
        start, end = self.list.window
        width = end - start
        new_width = width / ZOOM if direction > 0 else width * ZOOM
        anchor = float(bar.start_ms)
        if start <= anchor <= end and width > 0:
            frac = (anchor - start) / width  # keep the anchor where it is on screen
        else:
            frac = 0.5
        self._set_window(anchor - frac * new_width, anchor - frac * new_width + new_width)

    def action_pan(self, direction: int) -> None:
        start, end = self.list.window
        shift = (end - start) * PAN * direction
        self._set_window(start + shift, end + shift)

    def action_reset_zoom(self) -> None:
        self._set_window(*self.full_window())

    def action_toggle_metric(self) -> None:
        self.list.metric = "cost" if self.list.metric == "tokens" else "tokens"
        self._refresh_all()

    def follow(self) -> None:
        if self.waterfall.rows:
            self.list.cursor = len(self.waterfall.rows) - 1

    def focus_main(self) -> None:
        if self.waterfall.rows:
            self.list.focus()
        else:
            super().focus_main()
