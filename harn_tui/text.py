"""The only way record text reaches the screen: plain Rich `Text`, never markup.

Everything from a run record, sidecar or event log is untrusted model output.
`Text(...)` never parses markup; `visible()` turns control, escape, bidi and
zero-width characters into readable escapes; long values are cut with a marker.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from harn_tui.core.format.textsafe import one_line, visible

#: Longest string shown inline before it is cut (the full text is one key away).
INLINE_LIMIT = 4000
#: Longest text block rendered in a pane.
BLOCK_LIMIT = 20000


def safe(value: Any, style: str = "", *, limit: int | None = INLINE_LIMIT) -> Text:
    """Untrusted text as a styled `Text`, control characters made visible."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:limit]
    out = Text(visible(text), style=style, no_wrap=False)
    if cut:
        out.append(f" … [{len(value) - limit:,} more chars]", style="dim italic")  # type: ignore[arg-type,operator]
    return out


def line(value: Any, style: str = "", width: int | None = None) -> Text:
    """One line of untrusted text (newlines shown as \\n), cut to `width` cells."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    out = Text(one_line(text[: (width or 400) * 4]), style=style, no_wrap=True, end="")
    if width is not None:
        out.truncate(width, overflow="ellipsis")
    return out


def label(*parts: tuple[Any, str] | str) -> Text:
    """Join (text, style) pairs, each made safe, into one `Text`."""
    out = Text(no_wrap=True, end="")
    for part in parts:
        if isinstance(part, tuple):
            out.append_text(line(part[0], part[1]))
        else:
            out.append_text(line(part))
    return out


def block(value: Any, *, limit: int = BLOCK_LIMIT) -> Text:
    """A multi-line block of untrusted text."""
    return safe(value, limit=limit)
