"""`PaneTable`: a row-cursor DataTable with vim keys, for the small per-run lists."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable

from harn_tui.widgets.virtual_list import position_label


class PaneTable(DataTable[Any]):
    """DataTable + j/k/g/G/ctrl+d/ctrl+u (panes hold tens to hundreds of rows)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
        Binding("ctrl+d", "page_down", "Page down", show=False),
        Binding("ctrl+u", "page_up", "Page up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def position(self) -> str:
        """`row N / M` when the table is longer than the rows on screen."""
        visible = (self.scrollable_content_region.height or self.size.height) - (1 if self.show_header else 0)
        return position_label(self.cursor_row, self.row_count, visible)

    def render_line(self, y: int) -> Strip:
        """The header row carries the position (`row N / M`) at its right end."""
        strip = super().render_line(y)
        if y != 0 or not self.show_header:
            return strip
        label = self.position()
        width = min(strip.cell_length, self.scrollable_content_region.width or strip.cell_length)
        if not label or width <= len(label) + 4:
            return strip
        style = self.get_component_rich_style("datatable--header")
        tail = Strip([Segment(f" {label} ", style)], len(label) + 2)
        return Strip.join([strip.crop(0, width - len(label) - 2), tail])

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:  # type: ignore[override]
        super().watch_cursor_coordinate(old, new)
        if self.show_header and self.size.width:
            self.refresh(Region(0, 0, self.size.width, 1))
