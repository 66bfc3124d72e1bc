"""Saved queries in the user config dir (core.config): round trip, corrupt files, the dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harn_tui.core.analysis.query import QueryError
from harn_tui.core.config.paths import config_dir
from harn_tui.core.config.saved_queries import SavedQueries


def test_saved_queries_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARN_TUI_CONFIG_DIR", str(tmp_path / "cfg"))
    assert config_dir() == tmp_path / "cfg"
    store = SavedQueries()
    assert store.path == tmp_path / "cfg" / "queries.json"
    assert store.load() == [] and store.problem is None  # missing file: empty, no problem
    store.add("status=failed  since=2h")
    store.add('task~"two  words"', name="two words")
    store.add("hitl>0", name="two words")  # same name replaces
    again = SavedQueries()
    items = again.load()
    assert [(q.name, q.query) for q in items] == [
        ("status=failed  since=2h", "status=failed  since=2h"),
        ("two words", "hitl>0"),
    ]
    assert again.remove("two words") and not again.remove("two words")
    assert [q.name for q in SavedQueries().load()] == ["status=failed  since=2h"]
    doc = json.loads(store.path.read_text())
    assert doc["version"] == 1 and doc["queries"][0]["query"] == "status=failed  since=2h"
    with pytest.raises(QueryError):
        again.add("tokens>lots")
    assert [q.name for q in SavedQueries().load()] == ["status=failed  since=2h"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "expected an object"),
        (b'{"queries": 3}', "expected an object"),
    ],
)
def test_corrupt_saved_queries_are_ignored_and_reported(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "queries.json"
    path.write_bytes(content)
    store = SavedQueries(path)
    assert store.load() == []
    assert store.problem is not None and problem in store.problem
    store.add("hitl>0")  # saving moves the corrupt file aside, never loses it
    assert (tmp_path / "queries.json.corrupt").read_bytes() == content
    assert [q.query for q in SavedQueries(path).load()] == ["hitl>0"]


def test_malformed_entries_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "queries.json"
    path.write_text(json.dumps({"queries": [{"name": "ok", "query": "hitl>0"}, {"name": 3}, "x"]}))
    store = SavedQueries(path)
    assert [q.name for q in store.load()] == ["ok"]
    assert store.problem is not None and "skipped 2" in store.problem


def test_default_config_dir_uses_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARN_TUI_CONFIG_DIR", raising=False)
    from platformdirs import user_config_dir

    assert config_dir() == Path(user_config_dir("harn-tui"))
    assert config_dir({"HARN_TUI_CONFIG_DIR": " "}) == Path(user_config_dir("harn-tui"))
