"""Hostile suite setup: the `--deep` switch (same as HARN_TUI_DEEP=1) and hypothesis budgets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# the UI helpers (screen_text, wait_for, make_app) live beside the UI tests
_UI = str(Path(__file__).resolve().parent.parent / "ui")
if _UI not in sys.path:
    sys.path.append(_UI)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--deep",
        action="store_true",
        default=False,
        help="hostile suite: long fuzz budgets, every truncation offset, big inputs",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--deep", default=False):
        os.environ["HARN_TUI_DEEP"] = "1"
    deep = os.environ.get("HARN_TUI_DEEP", "") == "1"
    settings.register_profile(
        "hostile",
        max_examples=2000 if deep else 60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        derandomize=not deep,
    )
