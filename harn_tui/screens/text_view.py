"""`TextScreen`: a long text, shown a screenful at a time.

The text is made visible once (`harn_tui.core.format.textsafe.visible`) and split into
lines; `TextLines` renders only the rows on screen, so a 50 MB string opens
as fast as a short one. Wrapping maps rows to (line, offset) with a prefix sum.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from itertools import accumulate
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from harn_tui.core.format.textsafe import visible
from harn_tui.core.format.wrap import wrap_words
from harn_tui.served import TerminalOnlyKeys
from harn_tui.text import label, line
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.virtual_list import VirtualList

TAB = "    "
#: Texts longer than this start unwrapped (wrapping is one keypress away).
WRAP_BY_DEFAULT_LIMIT = 2_000_000
#: Texts longer than this are escaped and split in a worker thread.
PREPARE_IN_THREAD = 1_000_000


#: Characters escaped per step when preparing in a thread (the UI thread runs in between).
PREPARE_STEP = 200_000


def prepare_lines(text: str, *, stepwise: bool = False) -> list[str]:
    """The text's lines, control characters made visible, tabs expanded.

    `stepwise` escapes in slices and yields the GIL between them, so a worker
    preparing a huge text does not starve the UI thread (escaping is per
    character, so slicing anywhere gives the same result).
    """
    text = text.replace("\r\n", "\n").replace("\t", TAB)
    if not stepwise:
        return visible(text).split("\n")
    parts = []
    for start in range(0, len(text), PREPARE_STEP):
        parts.append(visible(text[start : start + PREPARE_STEP]))
        time.sleep(0.001)
    return "".join(parts).split("\n")


class TextLines(VirtualList):
    """A virtual list of text lines, optionally wrapped to the widget width."""

    class Prepared(Message):
        """The text's lines are ready (posted from the preparing thread)."""

        def __init__(self, lines: list[str]) -> None:
            super().__init__()
            self.lines = lines

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self.lines: list[str] = []
        self.ready = False
        self.wrap = len(text) <= WRAP_BY_DEFAULT_LIMIT
        self.wrap_width = 0
        self.row_starts: list[int] = []
        self.chopped: dict[int, list[str]] = {}

    def on_mount(self) -> None:
        if len(self.text) > PREPARE_IN_THREAD:
            self.prepare_in_thread()
        else:
            self._ready(prepare_lines(self.text))

    @work(thread=True, exclusive=True, group="text-prepare")
    def prepare_in_thread(self) -> None:
        """Escape and split a big text off the UI thread."""
        self.post_message(self.Prepared(prepare_lines(self.text, stepwise=True)))

    def on_text_lines_prepared(self, message: Prepared) -> None:
        message.stop()
        self._ready(message.lines)
        self.post_message(self.Highlighted(self, self.cursor))

    def _ready(self, lines: list[str]) -> None:
        self.lines = lines
        self.ready = True
        self.relayout(0)

    def on_resize(self, event: events.Resize) -> None:
        super().on_resize(event)
        if self.ready and self.wrap and event.size.width != self.wrap_width:
            self.relayout()

    def relayout(self, keep_line: int | None = None) -> None:
        """Recompute rows for the wrap mode and width, keeping `keep_line` under the cursor."""
        if keep_line is None:
            keep_line = self.line_at(self.cursor)[0] if self.count else 0
        width = max(self.scrollable_content_region.width or self.size.width, 10)
        if self.wrap:
            self.wrap_width = width
            self.chopped = {}
            self.row_starts = [0, *accumulate(self._rows(i, s, width) for i, s in enumerate(self.lines))]
            count = self.row_starts[-1]
        else:
            self.row_starts = []
            count = len(self.lines)
        self.set_count(count, keep=self.row_of(keep_line))
        self.scroll_to_cursor()

    def _rows(self, index: int, text: str, width: int) -> int:
        if text.isascii() and len(text) <= width:
            return 1
        parts = wrap_words(text, width)  # at word boundaries, never mid-word when avoidable
        self.chopped[index] = parts
        return max(1, len(parts))

    def line_at(self, row: int) -> tuple[int, int]:
        """(line index, row within the line) for a visual row."""
        if not self.row_starts:
            return row, 0
        index = bisect_right(self.row_starts, row) - 1
        index = min(max(index, 0), len(self.lines) - 1)
        return index, row - self.row_starts[index]

    def row_of(self, line_index: int) -> int:
        """The first visual row of a line."""
        if not self.row_starts:
            return line_index
        return self.row_starts[min(max(line_index, 0), len(self.lines) - 1)]

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        line_index, part = self.line_at(index)
        text = self.lines[line_index]
        if self.wrap:
            parts = self.chopped.get(line_index)
            if parts is not None:
                return line(parts[part] if part < len(parts) else "")
            size = self.wrap_width or width
            return line(text[part * size : (part + 1) * size])
        return line(text, "", width)

    def toggle_wrap(self) -> None:
        """Switch between wrapped and cut lines."""
        if not self.ready:
            return
        keep = self.line_at(self.cursor)[0] if self.count else 0
        self.wrap = not self.wrap
        self.relayout(keep)


class TextScreen(TerminalOnlyKeys, Screen[None]):
    """One full text: scroll, wrap, copy, page."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("w", "wrap", "Wrap"),
        Binding("y", "copy", "Copy all"),
        Binding("p", "pager", "Pager"),
    ]

    def __init__(self, text: str, title: str) -> None:
        super().__init__()
        self.text = text if isinstance(text, str) else str(text)
        self.doc_title = title

    def compose(self) -> ComposeResult:
        yield Static(id="text-title")
        yield TextLines(self.text, id="text-lines")
        yield KeyFooter()

    @property
    def lines_view(self) -> TextLines:
        return self.query_one(TextLines)

    def on_mount(self) -> None:
        self.lines_view.focus()
        self._update_title()

    def on_virtual_list_highlighted(self, message: VirtualList.Highlighted) -> None:
        self._update_title()

    def _update_title(self) -> None:
        view = self.lines_view
        if not view.ready:
            self.query_one("#text-title", Static).update(
                label((self.doc_title, "bold"), (f"  preparing {len(self.text):,} chars…", "dim"))
            )
            return
        current = view.line_at(view.cursor)[0] + 1 if view.count else 0
        info = (
            f"  line {current:,}/{len(view.lines):,}  {len(self.text):,} chars"
            f"  wrap {'on' if view.wrap else 'off'}"
        )
        self.query_one("#text-title", Static).update(
            label((self.doc_title, "bold"), (info, "dim"))
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_wrap(self) -> None:
        self.lines_view.toggle_wrap()
        self._update_title()

    def action_copy(self) -> None:
        host: Any = self.app
        host.copy_value(self.text)

    def action_pager(self) -> None:
        host: Any = self.app
        host.open_in_pager(self.text)
