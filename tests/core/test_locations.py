"""Tests for harn_tui.core.format.locations (spec §1.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harn_tui.core.format.errors import EventLogError
from harn_tui.core.format.locations import (
    absolute_path,
    cache_dir,
    event_log_candidates,
    event_log_location,
    missing_event_log_note,
    project_of,
    project_root,
    resolve_events_arg,
    run_root,
    state_root,
)

# ----------------------------------------------------------------------------- absolute paths


def test_absolute_path_resolves_folders_and_keeps_a_files_name(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "run.json").write_text("{}")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    (real / "alias.json").symlink_to(real / "sub" / "run.json")
    monkeypatch.chdir(real / "sub")
    assert absolute_path("..") == real
    assert absolute_path("../../link") == real
    assert absolute_path("./../run.json") == real / "run.json"
    assert absolute_path("../../link/alias.json") == real / "alias.json"  # stays under its root
    assert absolute_path("missing/x") == real / "sub" / "missing" / "x"


# ----------------------------------------------------------------------------- run root


def test_run_root_default(tmp_path: Path) -> None:
    assert run_root({}, tmp_path) == tmp_path / ".harn-runs"


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_run_root_empty_env_counts_as_unset(tmp_path: Path, value: str) -> None:
    assert run_root({"HARN_RUN_DIR": value}, tmp_path) == tmp_path / ".harn-runs"


def test_run_root_relative_env_resolved_against_cwd(tmp_path: Path) -> None:
    assert run_root({"HARN_RUN_DIR": "out/runs"}, tmp_path) == tmp_path / "out" / "runs"


def test_run_root_absolute_env_used_as_is(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    assert run_root({"HARN_RUN_DIR": str(target)}, tmp_path / "cwd") == target


def test_run_root_reads_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARN_RUN_DIR", "from-env")
    assert run_root(cwd=tmp_path) == tmp_path / "from-env"
    monkeypatch.chdir(tmp_path)
    assert run_root() == tmp_path / "from-env"


def test_run_root_ignores_harn_toml(tmp_path: Path) -> None:
    (tmp_path / "harn.toml").write_text("")
    sub = tmp_path / "sub"
    sub.mkdir()
    assert run_root({}, sub) == sub / ".harn-runs"


# ----------------------------------------------------------------------------- state root


def test_project_root_is_nearest_harn_toml_ancestor(tmp_path: Path) -> None:
    (tmp_path / "harn.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert project_root(deep) == tmp_path
    (tmp_path / "a" / "harn.toml").write_text("")
    assert project_root(deep) == tmp_path / "a"


def test_project_root_falls_back_to_cwd(tmp_path: Path) -> None:
    deep = tmp_path / "x"
    deep.mkdir()
    # tmp_path has no harn.toml; pytest's tmp dirs live under /tmp which has none either
    assert project_root(deep) == deep


def test_state_root_default_and_env(tmp_path: Path) -> None:
    assert state_root({}, tmp_path) == tmp_path / ".harn"
    assert state_root({"HARN_STATE_DIR": " "}, tmp_path) == tmp_path / ".harn"
    assert state_root({"HARN_STATE_DIR": "st"}, tmp_path) == tmp_path / "st"
    assert state_root({"HARN_STATE_DIR": str(tmp_path / "abs")}, tmp_path / "p") == (
        tmp_path / "abs"
    )


def test_state_root_default_base_is_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "harn.toml").write_text("")
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert state_root({}) == tmp_path / ".harn"


# ----------------------------------------------------------------------------- event log


def _sqlite_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_event_log_location_default_sqlite_under_project_root(tmp_path: Path) -> None:
    (tmp_path / "harn.toml").write_text("")
    sub = tmp_path / "scripts"
    sub.mkdir()
    assert event_log_location({}, sub) is None  # does not exist yet
    db = _sqlite_file(tmp_path / ".harn" / "events.sqlite")
    assert event_log_location({}, sub) == ("sqlite", db)


def test_event_log_location_sqlite_path_env_relative_to_project_root(tmp_path: Path) -> None:
    (tmp_path / "harn.toml").write_text("")
    sub = tmp_path / "sub"
    sub.mkdir()
    db = _sqlite_file(tmp_path / "logs" / "ev.db")
    env = {"HARN_EVENT_LOG_SQLITE_PATH": "logs/ev.db"}
    assert event_log_location(env, sub) == ("sqlite", db)


def test_event_log_location_state_dir_env(tmp_path: Path) -> None:
    db = _sqlite_file(tmp_path / "state" / "events.sqlite")
    assert event_log_location({"HARN_STATE_DIR": "state"}, tmp_path) == ("sqlite", db)


def test_event_log_location_file_backend_case_insensitive(tmp_path: Path) -> None:
    env = {"HARN_EVENT_LOG_BACKEND": " FiLe "}
    assert event_log_location(env, tmp_path) is None
    (tmp_path / ".harn" / "events" / "topics").mkdir(parents=True)
    assert event_log_location(env, tmp_path) == ("file", tmp_path / ".harn" / "events")
    (tmp_path / "custom").mkdir()
    env2 = {**env, "HARN_EVENT_LOG_DIR": "custom"}
    assert event_log_location(env2, tmp_path) == ("file", tmp_path / "custom")
    env3 = {**env, "HARN_EVENT_LOG_DIR": ""}
    assert event_log_location(env3, tmp_path) == ("file", tmp_path / ".harn" / "events")


def test_event_log_location_memory_and_empty_backend(tmp_path: Path) -> None:
    db = _sqlite_file(tmp_path / ".harn" / "events.sqlite")
    assert event_log_location({"HARN_EVENT_LOG_BACKEND": "MEMORY"}, tmp_path) is None
    assert event_log_location({"HARN_EVENT_LOG_BACKEND": "  "}, tmp_path) == ("sqlite", db)


def test_event_log_location_unknown_backend(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="unsupported"):
        event_log_location({"HARN_EVENT_LOG_BACKEND": "postgres"}, tmp_path)


# ----------------------------------------------------------------------------- --events


def test_resolve_events_arg_sqlite_file(tmp_path: Path) -> None:
    db = _sqlite_file(tmp_path / "whatever.db")
    assert resolve_events_arg(db) == ("sqlite", db)


def test_resolve_events_arg_file_backend_dir(tmp_path: Path) -> None:
    (tmp_path / "events" / "topics").mkdir(parents=True)
    assert resolve_events_arg(tmp_path / "events") == ("file", tmp_path / "events")


def test_resolve_events_arg_state_root(tmp_path: Path) -> None:
    (tmp_path / "events" / "topics").mkdir(parents=True)
    assert resolve_events_arg(tmp_path) == ("file", tmp_path / "events")
    db = _sqlite_file(tmp_path / "events.sqlite")
    assert resolve_events_arg(tmp_path) == ("sqlite", db)  # sqlite preferred


def test_resolve_events_arg_errors(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="not found"):
        resolve_events_arg(tmp_path / "missing")
    with pytest.raises(EventLogError, match="no event log"):
        resolve_events_arg(tmp_path)


# ----------------------------------------------------------------------------- cache


def test_cache_dir_env_and_default(tmp_path: Path) -> None:
    assert cache_dir({"HARN_TUI_CACHE_DIR": str(tmp_path / "c")}) == tmp_path / "c"
    default = cache_dir({"HARN_TUI_CACHE_DIR": ""})
    assert "harn-tui" in str(default)


# ----------------------------------------------------------------------------- the run root's project


def test_the_project_holding_the_run_root_has_the_event_log(tmp_path: Path) -> None:
    """Opened from another folder, a run root still finds its own project's log (issue 9.4)."""
    demo = tmp_path / "demo"
    (demo / ".harn").mkdir(parents=True)
    (demo / ".harn" / "events.sqlite").write_bytes(b"")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert event_log_location({}, elsewhere) is None  # cwd alone finds nothing
    assert event_log_location({}, elsewhere, demo) == ("sqlite", demo / ".harn" / "events.sqlite")
    # a run root inside a project with harn.toml (and its .harn/ beside it)
    proj = tmp_path / "proj"
    (proj / "runs" / "nested").mkdir(parents=True)
    (proj / "harn.toml").write_text("")
    (proj / ".harn" / "events").mkdir(parents=True)
    env = {"HARN_EVENT_LOG_BACKEND": "file"}
    assert project_of(proj / "runs" / "nested") == proj
    assert event_log_location(env, elsewhere, proj / "runs") == ("file", proj / ".harn" / "events")
    # the run root's project comes before the current folder's
    (elsewhere / ".harn").mkdir()
    (elsewhere / ".harn" / "events.sqlite").write_bytes(b"")
    assert event_log_candidates({}, elsewhere, demo) == [
        ("sqlite", demo / ".harn" / "events.sqlite"),
        ("sqlite", elsewhere / ".harn" / "events.sqlite"),
    ]
    assert event_log_location({}, elsewhere, demo) == ("sqlite", demo / ".harn" / "events.sqlite")
    assert event_log_location({}, elsewhere, tmp_path / "no-project") == (
        "sqlite", elsewhere / ".harn" / "events.sqlite")


def test_missing_event_log_note_is_one_line_naming_the_places_and_the_flag(tmp_path: Path) -> None:
    root = tmp_path / "p" / "runs"
    root.mkdir(parents=True)
    (tmp_path / "p" / "harn.toml").write_text("")
    note = missing_event_log_note({}, tmp_path, root)
    assert "\n" not in note and "--events PATH" in note
    assert str(tmp_path / "p" / ".harn" / "events.sqlite") in note
    assert str(tmp_path / ".harn" / "events.sqlite") in note
    assert "memory" in missing_event_log_note({"HARN_EVENT_LOG_BACKEND": "memory"}, tmp_path, root)
    assert "--events PATH" in missing_event_log_note({"HARN_EVENT_LOG_BACKEND": "x"}, tmp_path, root)
