"""Preferences: kept in the user config dir, defaults on a missing or corrupt file, never
written inside the run root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harn_tui.core.config.prefs import Preferences


def test_round_trip_through_the_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARN_TUI_CONFIG_DIR", str(tmp_path / "cfg"))
    prefs = Preferences().load()
    assert prefs.get("theme") is None
    assert prefs.set("theme", "nord") and prefs.set("sort", "oldest")
    assert not prefs.set("theme", "nord")  # unchanged: no write
    assert json.loads((tmp_path / "cfg" / "preferences.json").read_text()) == {"sort": "oldest", "theme": "nord"}
    again = Preferences().load()
    assert again.get("theme") == "nord" and again.get("sort") == "oldest"


@pytest.mark.parametrize("content", [b"{ nope", b"[1, 2]", b'{"theme": 3, "sort": "oldest", "x": 1}', b"\xff\xfe"])
def test_a_corrupt_file_means_defaults(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "preferences.json"
    path.write_bytes(content)
    prefs = Preferences(path).load()
    assert prefs.get("theme") is None
    assert set(prefs.values) <= {"sort"}


def test_never_written_inside_the_run_root(tmp_path: Path) -> None:
    root = tmp_path / ".harn-runs"
    root.mkdir()
    prefs = Preferences(root / "cfg" / "preferences.json", forbidden=root)
    assert not prefs.set("theme", "nord")
    assert not (root / "cfg").exists()
    assert prefs.problem and "run root" in prefs.problem
