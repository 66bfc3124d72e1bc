"""One injectable clock: every "how long ago" reads `core.format.clock`."""

from __future__ import annotations

import time

from harn_tui.core.format import clock


def test_the_clock_is_the_wall_clock_until_a_source_is_set() -> None:
    before = time.time_ns() // 1_000_000
    assert before <= clock.now_ms() <= time.time_ns() // 1_000_000


def test_set_clock_fixes_the_time_and_returns_the_previous_source() -> None:
    previous = clock.set_clock(lambda: 1_790_000_000_000)
    try:
        assert clock.now_ms() == 1_790_000_000_000
    finally:
        clock.set_clock(previous)
    assert clock.now_ms() > 1_790_000_000_000 or clock.now_ms() > 0
    clock.set_clock(None)
    assert abs(clock.now_ms() - time.time_ns() // 1_000_000) < 5_000
