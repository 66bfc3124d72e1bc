"""Reading JSON from disk without ever raising anything but :class:`LoadError`.

Run files are written by programs that crash mid-write and hold model output, so
every failure is turned into a one-line reason a person can act on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.errors import LoadError
from harn_tui.core.gcpause import gc_paused

#: orjson's own nesting limit; deeper documents are rejected with a clear reason.
MAX_DEPTH = 1024
_BOM = b"\xef\xbb\xbf"


#: Documents larger than this are parsed piecewise (see `_decode_piecewise`).
PIECEWISE_BYTES = 8 * 1024 * 1024


def decode_json(data: bytes) -> Any:
    """Parse JSON bytes, or raise LoadError naming why they are not usable JSON."""
    if not data.strip():
        raise LoadError("empty file")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if len(data) > PIECEWISE_BYTES:
        try:
            return _decode_piecewise(data)
        except (ValueError, RecursionError):
            pass  # let orjson name the problem precisely
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise LoadError(_explain(data, exc)) from None
    except RecursionError:  # pragma: no cover - orjson limits depth itself
        raise LoadError(f"nesting too deep (over {MAX_DEPTH} levels)") from None


def _explain(data: bytes, exc: orjson.JSONDecodeError) -> str:
    message = str(exc)
    if b"\x00" in data[:8192]:
        return "binary file, not JSON"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return f"invalid UTF-8 at byte {err.start}"
    if "recursion" in message.lower() or "depth" in message.lower():
        return f"nesting too deep (over {MAX_DEPTH} levels)"
    where = f"line {exc.lineno} column {exc.colno}"
    if exc.pos >= len(data.rstrip()) or "unexpected end of data" in message:
        return f"truncated JSON (ends unexpectedly at {where})"
    first = message.split(":", 1)[0].strip() or "invalid JSON"
    return f"invalid JSON: {first} at {where}"


def read_bytes(path: Path | str, *, max_bytes: int | None = None) -> bytes:
    """Read a file's bytes, turning OS errors into LoadError."""
    try:
        with open(path, "rb") as handle:
            return handle.read() if max_bytes is None else handle.read(max_bytes)
    except IsADirectoryError:
        raise LoadError("is a directory, not a file") from None
    except PermissionError:
        raise LoadError("permission denied") from None
    except FileNotFoundError:
        raise LoadError("file not found (deleted or moved)") from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {os.strerror(exc.errno or 0) or exc}") from None


def type_name(value: Any) -> str:
    """JSON's name for a Python value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# -- piecewise parsing of very large documents ---------------------------------------
#
# orjson parses a document in one C call that holds the GIL: ~3 ms per MB, so a 200 MB run
# file would freeze the UI thread for most of a second. Here the outer levels (where run
# records keep their big lists: stages, transcripts, messages, events) are walked in
# Python and only their items go to the C decoder, so the interpreter can switch threads
# between items and the UI keeps answering keys.

_DESCEND = 4  # container levels walked in Python; deeper values are decoded whole
_WS = frozenset(" \t\n\r")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def _decode_piecewise(data: bytes) -> Any:
    import json

    text = _decode_utf8_in_steps(data)
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    raw = decoder.raw_decode
    with gc_paused():
        value, end = _piece(text, 0, 0, raw)
    end = _skip(text, end)
    if end != len(text):
        raise ValueError("unexpected content after document")
    return value


def _decode_utf8_in_steps(data: bytes, step: int = 4 * 1024 * 1024) -> str:
    """UTF-8 to text a few MB at a time (one 200 MB `decode` call would hold the GIL)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    parts = [decoder.decode(view[i : i + step]) for i in range(0, len(data), step)]
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def _skip(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _piece(text: str, i: int, depth: int, raw: Any) -> tuple[Any, int]:
    i = _skip(text, i)
    if i >= len(text):
        raise ValueError("truncated")
    first = text[i]
    if depth >= _DESCEND or first not in "{[":
        return raw(text, i)
    if first == "[":
        items: list[Any] = []
        i = _skip(text, i + 1)
        if text[i : i + 1] == "]":
            return items, i + 1
        while True:
            value, i = _piece(text, i, depth + 1, raw)
            items.append(value)
            i = _skip(text, i)
            sep = text[i : i + 1]
            if sep == "]":
                return items, i + 1
            if sep != ",":
                raise ValueError("expected , or ]")
            i += 1
    obj: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i : i + 1] == "}":
        return obj, i + 1
    while True:
        i = _skip(text, i)
        if text[i : i + 1] != '"':
            raise ValueError("expected a key")
        key, i = raw(text, i)
        i = _skip(text, i)
        if text[i : i + 1] != ":":
            raise ValueError("expected :")
        obj[key], i = _piece(text, i + 1, depth + 1, raw)
        i = _skip(text, i)
        sep = text[i : i + 1]
        if sep == "}":
            return obj, i + 1
        if sep != ",":
            raise ValueError("expected , or }")
        i += 1
