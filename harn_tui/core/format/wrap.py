"""Wrapping at word boundaries, by terminal cells (no Rich: the data layer stays plain)."""

from __future__ import annotations

import unicodedata

#: Characters after which a long word may break when no space is in reach.
SOFT_BREAKS = "/-_,;:)]}&?=|\\"


def cells(ch: str) -> int:
    """Terminal cells taken by one character (0 combining, 2 wide, else 1)."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def wrap_words(text: str, width: int) -> list[str]:
    """`text` (one line) as rows of at most `width` cells, broken after a space when one is in
    the row, else after punctuation such as `/`, else (one very long word) at the width.
    Joining the rows gives `text` back; a row may end with one space past the width."""
    width = max(width, 1)
    if text.isascii() and len(text) <= width:
        return [text]
    rows: list[str] = []
    start, n = 0, len(text)
    while start < n:
        used, end = 0, start
        while end < n and used + cells(text[end]) <= width:
            used += cells(text[end])
            end += 1
        if end == start:  # a character wider than the row
            end = start + 1
        if end < n:
            cut = text.rfind(" ", start, end)
            if text[end] == " ":
                end += 1  # the space ends this row (it is invisible past the edge)
            elif cut > start and text[start:cut].strip():
                end = cut + 1
            else:
                soft = max(text.rfind(ch, start, end) for ch in SOFT_BREAKS)
                if soft > start:
                    end = soft + 1
        rows.append(text[start:end])
        start = end
    return rows or [""]
