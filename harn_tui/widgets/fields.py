"""Labelled fields (`tokens 1,200 in / 300 out`) laid out in lines that break between fields,
never inside one, at whatever width the widget has."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

GAP = "  "


def pack(rows: list[list[Text]], width: int, gap: str = GAP) -> Text:
    """Each row's fields, wrapped onto as many lines as the width needs (a field too wide
    for a line of its own is cut with an ellipsis); `gap` goes between fields on a line."""
    width = max(width, 8)
    out = Text(no_wrap=True, end="")
    first_line = True
    for row in rows:
        used = -1  # no line started in this row yet
        for field in row:
            if not field.cell_len:
                continue
            piece = field.copy()
            if piece.cell_len > width:
                piece.truncate(width, overflow="ellipsis")
            if used >= 0 and used + len(gap) + piece.cell_len <= width:
                out.append(gap, style="dim")
                used += len(gap)
            else:
                if not first_line:
                    out.append("\n")
                first_line = False
                used = 0
            out.append_text(piece)
            used += piece.cell_len
    return out


class FieldBlock(Widget):
    """A block of field rows, or a free text (loading, errors)."""

    DEFAULT_CSS = "FieldBlock { height: auto; }"

    def __init__(self, *, id: str | None = None, gap: str = GAP) -> None:
        super().__init__(id=id)
        self.gap = gap
        self.rows: list[list[Text]] = []
        self.free: Text | None = Text()

    def update(self, text: Text) -> None:
        self.free, self.rows = text, []
        self.refresh(layout=True)

    def set_fields(self, rows: list[list[Text]]) -> None:
        self.free, self.rows = None, rows
        self.refresh(layout=True)

    def _text(self, width: int) -> Text:
        if self.free is not None:
            return self.free
        return pack(self.rows, width, self.gap)

    def render(self) -> Text:
        return self._text(self.content_region.width or self.size.width)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        text = self._text(width)
        if self.free is not None:
            return len(text.wrap(self.app.console, max(width, 1)))
        return text.plain.count("\n") + 1
