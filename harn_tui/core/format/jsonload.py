"""Reading JSON from disk without ever raising anything but :class:`LoadError`.

Run files are written by programs that crash mid-write and hold model output, so
every failure is turned into a one-line reason a person can act on.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson

from harn_tui.core.format.errors import LoadError
from harn_tui.core.format.gcpause import gc_paused

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
# records keep their big lists: stages, transcripts, messages, events) are walked over the
# bytes with small regular expressions, and only their items go to orjson, so the
# interpreter can switch threads between items and the UI keeps answering keys. Nothing is
# ever decoded or copied whole (an earlier version built one 200 MB `str` first: a single
# GIL-holding join of 100-500 ms).

_DESCEND = 4  # container levels walked in Python; deeper values are decoded whole
_SPACE = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_SCALAR = re.compile(rb"-?[0-9][0-9.eE+-]*|true|false|null")
_TOKEN = re.compile(rb'[\[\]{}"]')
_QUOTE, _OPEN_A, _CLOSE_A, _OPEN_O, _CLOSE_O = b'"[]{}'
_COMMA, _COLON = b",:"


def _decode_piecewise(data: bytes) -> Any:
    view = memoryview(data)
    with gc_paused():
        value, end = _piece(data, view, 0, 0)
    if _skip(data, end) != len(data):
        raise ValueError("unexpected content after document")
    return value


def _skip(data: bytes, i: int) -> int:
    return _SPACE.match(data, i).end()  # type: ignore[union-attr]  # always matches


def _value_end(data: bytes, i: int) -> int:
    """Where the value starting at `i` ends (its syntax is checked later by orjson)."""
    first = data[i]
    if first == _QUOTE:
        match = _STRING.match(data, i)
        if match is None:
            raise ValueError("unterminated string")
        return match.end()
    if first in (_OPEN_A, _OPEN_O):
        depth, pos = 0, i
        while True:
            token = _TOKEN.search(data, pos)
            if token is None:
                raise ValueError("truncated")
            at = token.start()
            char = data[at]
            if char == _QUOTE:
                match = _STRING.match(data, at)
                if match is None:
                    raise ValueError("unterminated string")
                pos = match.end()
                continue
            depth += 1 if char in (_OPEN_A, _OPEN_O) else -1
            pos = at + 1
            if depth == 0:
                return pos
    match = _SCALAR.match(data, i)
    if match is None:
        raise ValueError("invalid value")
    return match.end()


def _whole(data: bytes, view: memoryview, i: int) -> tuple[Any, int]:
    end = _value_end(data, i)
    return orjson.loads(view[i:end]), end


def _piece(data: bytes, view: memoryview, i: int, depth: int) -> tuple[Any, int]:
    i = _skip(data, i)
    if i >= len(data):
        raise ValueError("truncated")
    first = data[i]
    if depth >= _DESCEND or first not in (_OPEN_A, _OPEN_O):
        return _whole(data, view, i)
    if first == _OPEN_A:
        items: list[Any] = []
        i = _skip(data, i + 1)
        if data[i : i + 1] == b"]":
            return items, i + 1
        while True:
            value, i = _piece(data, view, i, depth + 1)
            items.append(value)
            i = _skip(data, i)
            sep = data[i] if i < len(data) else None
            if sep == _CLOSE_A:
                return items, i + 1
            if sep != _COMMA:
                raise ValueError("expected , or ]")
            i += 1
    obj: dict[str, Any] = {}
    i = _skip(data, i + 1)
    if data[i : i + 1] == b"}":
        return obj, i + 1
    while True:
        i = _skip(data, i)
        if data[i : i + 1] != b'"':
            raise ValueError("expected a key")
        key, i = _whole(data, view, i)
        i = _skip(data, i)
        if data[i : i + 1] != b":":
            raise ValueError("expected :")
        obj[key], i = _piece(data, view, i + 1, depth + 1)
        i = _skip(data, i)
        sep = data[i] if i < len(data) else None
        if sep == _CLOSE_O:
            return obj, i + 1
        if sep != _COMMA:
            raise ValueError("expected , or }")
        i += 1
