"""The one clock: wall time in Unix ms. Everything that asks "how long ago" reads it here, so a
test (or a snapshot) fixes the time for the whole program with one `set_clock`."""

from __future__ import annotations

import time
from collections.abc import Callable


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


_source: Callable[[], int] = _wall_ms


def now_ms() -> int:
    """The current time in Unix ms (the injected source, else the wall clock)."""
    return _source()


def set_clock(source: Callable[[], int] | None) -> Callable[[], int]:
    """Read the time from `source` (None: the wall clock again); returns the previous source."""
    global _source
    previous, _source = _source, source or _wall_ms
    return previous
