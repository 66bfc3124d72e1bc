"""The parsing pools: beside a UI their workers run at a lower priority, headless at normal."""

from __future__ import annotations

import os

from harn_tui.core.index.pool import BACKGROUND_NICENESS, parse_pool


def _niceness() -> int:
    return os.nice(0)


def test_background_pool_workers_are_niced() -> None:
    base = os.nice(0)
    with parse_pool(1, background=True) as pool:
        assert pool.submit(_niceness).result() == min(base + BACKGROUND_NICENESS, 19)
    with parse_pool(1) as pool:
        assert pool.submit(_niceness).result() == base
