"""What a broken run file is: its reason, size and first bytes, escaped for a terminal."""

from __future__ import annotations

import os
from pathlib import Path

from harn_tui.core.format.textsafe import visible

#: Bytes shown from the start of a broken file.
HEAD_BYTES = 2048
HEX_BYTES = 256


def hex_dump(data: bytes, width: int = 16) -> str:
    """`offset  hex bytes  |ascii|` lines; non-printable bytes are dots."""
    rows = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        rows.append(f"{offset:08x}  {hexes:<{width * 3 - 1}}  |{text}|")
    return "\n".join(rows)


def describe_broken(path: Path, reason: str, *, rel: str | None = None, limit: int = HEAD_BYTES) -> str:
    """A plain-text report on a broken run file (read-only; never raises)."""
    name = rel or str(path)
    out = [f"Broken run file: {visible(name, multiline=False)}", f"Reason: {visible(reason or 'unknown', multiline=False)}"]
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as handle:
            head = handle.read(limit)
    except OSError as exc:
        out.append(f"Cannot read it: {exc.strerror or type(exc).__name__}")
        return "\n".join(out) + "\n"
    out.append(f"Size: {size:,} bytes")
    if not head:
        out.append("\n(the file is empty)")
        return "\n".join(out) + "\n"
    shown = len(head)
    out.append(f"\nFirst {shown:,} bytes{' (of ' + format(size, ',') + ')' if size > shown else ''}, "
               "as text (control characters and invalid UTF-8 escaped):\n")
    out.append(visible(head.decode("utf-8", errors="backslashreplace")))
    out.append(f"\nFirst {min(shown, HEX_BYTES):,} bytes in hex:\n")
    out.append(hex_dump(head[:HEX_BYTES]))
    return "\n".join(out) + "\n"
