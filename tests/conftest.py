"""Shared test setup: every test runs with its own summary cache and no Harn env vars."""

from __future__ import annotations

import os

import pytest

#: Environment variables that would point harn-tui at the developer's own runs or logs.
HARN_ENV_VARS = (
    "HARN_RUN_DIR",
    "HARN_STATE_DIR",
    "HARN_EVENT_LOG_BACKEND",
    "HARN_EVENT_LOG_SQLITE_PATH",
    "HARN_EVENT_LOG_DIR",
    "HARN_EVENT_LOG_QUEUE_DEPTH",
    "HARN_LLM_TRANSCRIPT_DIR",
)


@pytest.fixture(autouse=True)
def _isolated_harn_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A fresh HARN_TUI_CACHE_DIR and HARN_TUI_CONFIG_DIR per test, and no inherited Harn
    location variables."""
    monkeypatch.setenv("HARN_TUI_CACHE_DIR", str(tmp_path_factory.mktemp("harn-tui-cache")))
    monkeypatch.setenv("HARN_TUI_CONFIG_DIR", str(tmp_path_factory.mktemp("harn-tui-config")))
    for name in HARN_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("HARN_EVENT_LOG_"):
            monkeypatch.delenv(name, raising=False)
