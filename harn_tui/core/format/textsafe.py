"""Making untrusted text safe for a terminal: control characters become visible escapes.

Run records hold model output. Escape sequences (CSI, OSC, DCS), C1 controls,
bidi overrides and zero-width characters must never reach the terminal as such;
they are replaced by readable escapes like `\\x1b` or `\\u202e`. So are lone surrogates:
a file name's bytes that are not UTF-8 (`\\xff`, or `\\x9b`, an 8-bit CSI) would otherwise
be written to the terminal as raw bytes, or fail to print at all.
"""

from __future__ import annotations

import re

# C0 controls except tab/newline, DEL, C1 controls, bidi controls, zero-width and BOM chars,
# surrogates.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_UNSAFE_INLINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == "\t":
        return "\\t"
    if ch == "\n":
        return "\\n"
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): that byte
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, multiline: bool = True) -> str:
    """Replace dangerous characters with visible escapes (keeps \\n and \\t when multiline)."""
    pattern = _UNSAFE if multiline else _UNSAFE_INLINE
    return pattern.sub(_escape, text)


def cut(text: str, width: int) -> str:
    """`text` if it fits in `width` characters, else its start and an ellipsis in `width`."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def one_line(text: str, limit: int | None = None) -> str:
    """A single safe line: newlines and tabs escaped, truncated with an ellipsis."""
    safe = visible(text, multiline=False)
    return safe if limit is None else cut(safe, limit)


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """(text cut to `limit` characters, whether it was cut)."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def utf8_clean(text: str) -> str:
    """`text` with stray surrogates (a file name's bytes that are not UTF-8) as U+FFFD: what
    JSON and SQLite can hold."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
