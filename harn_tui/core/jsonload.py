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

#: orjson's own nesting limit; deeper documents are rejected with a clear reason.
MAX_DEPTH = 1024
_BOM = b"\xef\xbb\xbf"


def decode_json(data: bytes) -> Any:
    """Parse JSON bytes, or raise LoadError naming why they are not usable JSON."""
    if not data.strip():
        raise LoadError("empty file")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
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
    if exc.pos >= len(data.rstrip()):
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
