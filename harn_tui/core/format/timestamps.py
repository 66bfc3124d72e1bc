"""Harn's four timestamp formats, parsed to Unix milliseconds.

Harn writes RFC3339 (`2026-04-22T00:00:00Z`), UUIDv7 strings used as times (and
later Harn's `records/time.rs` reads any time-carrying UUID: v1, v6, v7),
Unix seconds as decimal text (`1714460000`) and "seconds.millis" text
(`1710000000.100`). Anything else is kept raw and sorts after every parsed time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-]\d{2}:?\d{2})?$"
)
_UUID7 = re.compile(r"^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-7[0-9a-fA-F]{3}-")
#: UUIDs v1 and v6 carry a 60-bit count of 100 ns intervals since 1582-10-15.
_UUID16 = re.compile(
    r"^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([16])([0-9a-fA-F]{3})-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_GREGORIAN_OFFSET = 0x01B21DD213814000  # 100 ns intervals from 1582-10-15 to 1970-01-01
_SECONDS = re.compile(r"^\d+(\.\d+)?$")

#: Numbers at or above this are already milliseconds (as seconds they would be past year 5000).
_MS_THRESHOLD = 1e11

#: Sort key for timestamps that could not be parsed: after every real time.
UNPARSED_SORT_KEY = float("inf")


def parse_ms(value: object) -> int | None:
    """Parse any Harn timestamp to Unix ms, or None when it is not one of the four formats.

    Numbers (type drift from hand-written files) count as Unix seconds, or as
    milliseconds when they are too large to be seconds.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _number_ms(float(value))
    if not isinstance(value, str):
        return None
    return _parse_text(value)


@lru_cache(maxsize=65536)
def _parse_text(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    m = _RFC3339.match(text)
    if m:
        return _rfc3339_ms(m)
    m = _UUID7.match(text)
    if m:
        return int(m.group(1) + m.group(2), 16)
    m = _UUID16.match(text)
    if m:
        return _uuid_v1_v6_ms(m)
    if _SECONDS.match(text):
        try:
            return _number_ms(float(text))
        except (OverflowError, ValueError):
            return None
    return None


def _uuid_v1_v6_ms(m: re.Match[str]) -> int | None:
    first, mid, version, low = int(m.group(1), 16), int(m.group(2), 16), m.group(3), int(m.group(4), 16)
    if version == "1":  # time_low - time_mid - 1 time_hi
        ticks = (low << 48) | (mid << 32) | first
    else:  # v6: time_high - time_mid - 6 time_low
        ticks = (first << 28) | (mid << 12) | low
    ms = (ticks - _GREGORIAN_OFFSET) // 10_000
    return ms if 0 <= ms < 253402300800000 else None


def _number_ms(seconds: float) -> int | None:
    if seconds != seconds or seconds in (float("inf"), float("-inf")) or seconds < 0:
        return None
    ms = round(seconds) if seconds >= _MS_THRESHOLD else round(seconds * 1000)
    return ms if ms < 253402300800000 else None  # year 9999


def _rfc3339_ms(m: re.Match[str]) -> int | None:
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    tz = m.group(8)
    try:
        if second == 60:  # leap second: clamp
            second = 59
        dt = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        return None
    offset_min = 0
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset_min = sign * (int(digits[:2]) * 60 + int(digits[2:]))
    return int(dt.timestamp() * 1000) - offset_min * 60_000


def sort_key(value: object) -> float:
    """A key that orders parsed times chronologically and unparsed values last."""
    ms = parse_ms(value)
    return UNPARSED_SORT_KEY if ms is None else float(ms)


def format_iso(ms: int | None) -> str:
    """Render Unix ms as a compact UTC ISO string (empty for None)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(ms: int | float | None) -> str:
    """Human duration: 850ms, 4.2s, 3m05s, 2h14m, 3d04h."""
    if ms is None:
        return ""
    ms = int(ms)
    if ms < 1000:
        return f"{ms}ms"
    s = ms / 1000
    if s < 60:
        return f"{s:.1f}s"
    m, s = divmod(int(s), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def format_clock(ms: int | None) -> str:
    """`HH:MM:SS.mmm` (UTC) of Unix ms; dashes when unknown, question marks when out of range."""
    if ms is None:
        return "--:--:--.---"
    try:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return "??:??:??.???"
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def format_offset(ms: int | None) -> str:
    """An offset from a start: `+1.234s` below a minute, `+2m05s` (`format_duration`) from there."""
    if ms is None:
        return "+?"
    if ms < 60_000:
        return f"+{ms / 1000:.3f}s"
    return "+" + format_duration(ms)


def format_relative(ms: int | None, now_ms: int) -> str:
    """`5s ago`, `3m ago`, `2h ago`, `4d ago` (or `in 3m` for the future)."""
    if ms is None:
        return ""
    delta = now_ms - ms
    suffix = " ago"
    if delta < 0:
        delta, suffix = -delta, ""
    s = delta // 1000
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            text = f"{s // size}{unit}"
            break
    else:
        text = f"{s}s"
    return text + suffix if suffix else "in " + text
