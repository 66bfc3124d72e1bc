"""`VirtualList`: a cursor list that renders only its visible rows.

DataTable and ListView cost seconds at 10,000 rows; this costs the same at any
size because `render_line` builds just the rows on screen (like Textual's Log).
Subclasses implement `render_row(index, width, selected)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

R = TypeVar("R")


def position_label(cursor: int, count: int, visible: int) -> str:
    """`row N / M` for a list longer than its `visible` rows (else nothing)."""
    if count <= max(visible, 0) or count == 0:
        return ""
    return f"row {cursor + 1:,} / {count:,}"


def with_position(text: Text, position: str, width: int) -> Text:
    """`text` cut to leave room for `position`, right-aligned at `width`."""
    if not position or width <= len(position) + 1:
        return text
    out = text.copy()
    out.truncate(width - len(position) - 1, overflow="crop", pad=True)
    out.append(" ")
    out.append(position, style="bold")
    return out


class VirtualList(ScrollView, can_focus=True):
    """A scrollable list of `count` rows with a cursor, vim keys and mouse."""

    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False),
        Binding("k,up", "cursor(-1)", "Up", show=False),
        Binding("g,home", "jump(0)", "Top", show=False),
        Binding("G,end", "jump(-1)", "Bottom", show=False),
        Binding("ctrl+d,pagedown", "page(1)", "Page down", show=False),
        Binding("ctrl+u,pageup", "page(-1)", "Page up", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    DEFAULT_CSS = """
    VirtualList { height: 1fr; overflow-x: hidden; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to `index`."""

        def __init__(self, sender: VirtualList, index: int) -> None:
            super().__init__()
            self.list = sender
            self.index = index

        @property
        def control(self) -> VirtualList:
            return self.list

    class Selected(Highlighted):
        """Enter (or a double click) on row `index`."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.count = 0

    # -- data -------------------------------------------------------------------

    def set_count(self, count: int, *, keep: int | None = None) -> None:
        """Set the number of rows; keep the cursor at `keep` (clamped) if given."""
        self.count = max(count, 0)
        self.virtual_size = Size(self.size.width, self.count)
        target = self.cursor if keep is None else keep
        self.set_reactive(VirtualList.cursor, self._clamp(target))
        self.refresh()

    def position(self) -> str:
        """`row N / M` when the list is longer than the rows on screen."""
        height = self.scrollable_content_region.height or self.size.height
        return position_label(self.cursor, self.count, height)

    def _clamp(self, index: int) -> int:
        return min(max(index, 0), max(self.count - 1, 0))

    # -- rendering --------------------------------------------------------------

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        """The row's text (override)."""
        return Text(str(index))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        # Rows fit the region left of the vertical scrollbar (else their ends hide under it).
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        if index >= self.count:
            return Strip.blank(width, base)
        selected = index == self.cursor
        text = self.render_row(index, width, selected)
        style = base
        if selected:
            component = "virtual-list--cursor" if self.has_focus else "virtual-list--cursor-blur"
            style = base + self.get_component_rich_style(component)
        segments = list(text.render(self.app.console, end=""))
        strip = Strip(Segment.apply_style(segments, style), text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    COMPONENT_CLASSES = {"virtual-list--cursor", "virtual-list--cursor-blur"}
    DEFAULT_CSS += """
    VirtualList > .virtual-list--cursor { background: $accent 40%; text-style: bold; }
    VirtualList > .virtual-list--cursor-blur { background: $accent 20%; }
    """

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.count)

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, new))

    def scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height or self.size.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- actions ----------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        if self.count:
            self.cursor = self._clamp(self.cursor + delta)

    def action_jump(self, where: int) -> None:
        if self.count:
            self.cursor = self.count - 1 if where < 0 else self._clamp(where)

    def action_page(self, direction: int) -> None:
        step = max((self.scrollable_content_region.height or 10) // 2, 1)
        self.action_cursor(direction * step)

    def action_select(self) -> None:
        if self.count:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self.count:
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = index


class KeyedList(VirtualList, Generic[R]):
    """A VirtualList over `rows`, keyed by `row_key` so the cursor stays on the same item
    when the rows are replaced (live updates, filters, re-sorts)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[R] = []

    def row_key(self, row: R) -> object:
        """The identity of a row (override)."""
        return row

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace the rows, keeping the cursor on the same item when it is still there."""
        current = self.current
        self.rows = list(rows)
        keep = 0
        if current is not None:
            wanted = self.row_key(current)
            here = self.rows[self.cursor] if self.cursor < len(self.rows) else None
            if here is not None and self.row_key(here) == wanted:  # the usual case: unmoved
                self.set_count(len(self.rows), keep=self.cursor)
                return
            keep = next(
                (i for i, row in enumerate(self.rows) if self.row_key(row) == wanted),
                min(self.cursor, max(len(self.rows) - 1, 0)),
            )
        self.set_count(len(self.rows), keep=keep)

    @property
    def current(self) -> R | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None
