"""Fixtures for UI tests: a realistic generated corpus and an app factory."""

from __future__ import annotations

import pytest

from harn_tui.core.demo.corpus import Corpus, write_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """A realistic run root with an SQLite event log beside it (shared, never modified)."""
    base = tmp_path_factory.mktemp("corpus")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn")
