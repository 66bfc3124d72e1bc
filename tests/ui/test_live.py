"""Live updates with the real watcher: writes, rewrites, renames, deletes, event-log rows."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import orjson
import pytest
from uitools import make_app, screen_text, wait_for, wait_for_text, wait_ready

from harn_tui.core.demo.common import atomic_write_json
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


def run_record(run_id: str, status: str = "running", stages: int = 1, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "_type": "run_record",
        "id": run_id,
        "workflow_id": "deploy",
        "workflow_name": "deploy",
        "task": f"task of {run_id}",
        "status": status,
        "started_at": f"2026-11-20T09:{len(run_id) % 60:02d}:00Z",
        "finished_at": None if status == "running" else "2026-11-20T09:59:00Z",
        "stages": [
            {"id": f"{run_id}:s{i}", "node_id": f"node{i}", "kind": "stage", "status": "completed",
             "outcome": "success", "started_at": "2026-11-20T09:00:00Z", "finished_at": "2026-11-20T09:00:05Z"}
            for i in range(1, stages + 1)
        ],
        **extra,
    }


def write(path: Path, record: dict) -> None:
    path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))


def rows(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.path: r.status for r in app.runs.values()}


async def start(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause(0.3)  # let the watcher start


async def test_create_rewrite_rename_delete(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    write(root / "a.json", run_record("run-a"))
    app = make_app(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert rows(app) == {"a.json": "running"}
        # create
        write(root / "b.json", run_record("run-b"))
        await wait_for(pilot, lambda: "b.json" in app.runs)
        # atomic rewrite (Harn 0.8.x style temp file + rename)
        atomic_write_json(root / "a.json", run_record("run-a", "completed", stages=3))
        await wait_for(pilot, lambda: rows(app).get("a.json") == "completed")
        assert app.runs["a.json"].stage_count == 3
        # non-atomic rewrite in place
        write(root / "b.json", run_record("run-b", "failed"))
        await wait_for(pilot, lambda: rows(app).get("b.json") == "failed")
        # rename
        os.rename(root / "b.json", root / "c.json")
        await wait_for(pilot, lambda: "c.json" in app.runs and "b.json" not in app.runs)
        # delete
        (root / "a.json").unlink()
        await wait_for(pilot, lambda: "a.json" not in app.runs)
        # temp files and dot-files are ignored
        (root / "d.json.tmp").write_text("{")
        (root / ".e.json.0196.tmp").write_text("{")
        await pilot.pause(0.4)
        assert set(app.runs) == {"c.json"}
        assert "run-c" not in screen_text(app)  # ids show the run id, not the file name
        await wait_for_text(pilot, " 1 run ")


async def test_cursor_and_filters_survive_updates(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    for name in "abcdef":
        write(root / f"{name}.json", run_record(f"run-{name}" * 3))
    app = make_app(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        await pilot.press("j", "j")
        chosen = screen.table.current.path
        await pilot.press("slash", *"deploy", "enter")
        await pilot.pause()
        write(root / "g.json", run_record("run-g"))
        atomic_write_json(root / chosen, run_record("x", "completed"))
        await wait_for(pilot, lambda: "g.json" in app.runs and app.runs[chosen].status == "completed")
        await pilot.pause()
        assert screen.search == "deploy"
        assert screen.table.current.path == chosen


async def test_partial_write_keeps_last_good_version_then_marks_broken(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    good = orjson.dumps(run_record("run-p", "running"), option=orjson.OPT_INDENT_2)
    (root / "p.json").write_bytes(good)
    app = make_app(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        # A writer that crashed halfway: the truncated file stays.
        (root / "p.json").write_bytes(good[: len(good) // 2])
        await pilot.pause(0.15)
        assert not app.runs["p.json"].broken, "a fresh parse failure keeps the last good row"
        await wait_for(pilot, lambda: app.runs["p.json"].broken, timeout=10)
        assert "truncated" in (app.runs["p.json"].error or "")
        # The writer finishes later: the row recovers.
        (root / "p.json").write_bytes(orjson.dumps(run_record("run-p", "completed")))
        await wait_for(pilot, lambda: app.runs["p.json"].status == "completed")


async def test_root_deleted_and_recreated(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    write(root / "a.json", run_record("run-a"))
    app = make_app(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        shutil.rmtree(root)
        await wait_for_text(pilot, "is gone")
        root.mkdir()
        write(root / "b.json", run_record("run-b"))
        await wait_for(pilot, lambda: "b.json" in app.runs, timeout=15)
        assert "is gone" not in screen_text(app)


async def test_root_that_appears_after_start_is_picked_up(tmp_path: Path) -> None:
    root = tmp_path / "later"
    app = make_app(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "No Harn runs")
        root.mkdir()
        write(root / "a.json", run_record("run-a"))
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and "a.json" in app.runs, timeout=15)


def _log(tmp_path: Path) -> EventLogWriter:
    return EventLogWriter(tmp_path / ".harn", "sqlite")


async def test_open_run_refreshes_in_place_and_follow_mode(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    path = root / "live.json"
    write(path, run_record("run-live", stages=2))
    app = make_app(root, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        table = screen.query_one("#stages-table")
        table.move_cursor(row=0)
        await pilot.press("f")
        assert screen.following
        assert "FOLLOWING" in screen_text(app)
        for n in (3, 4):
            atomic_write_json(path, run_record("run-live", stages=n))
            await wait_for(pilot, lambda n=n: table.row_count == n)
            await pilot.pause()
            assert table.cursor_row == n - 1, "follow keeps the newest stage selected"
        await pilot.press("k")  # manual navigation leaves follow mode
        assert not screen.following
        atomic_write_json(path, run_record("run-live", "completed", stages=5))
        await wait_for(pilot, lambda: table.row_count == 5)
        await pilot.pause()
        assert table.cursor_row == 2, "without follow the user's place is kept"
        await wait_for_text(pilot, "completed")


async def test_event_log_rows_appear_while_watching(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    session = "session-live-1"
    write(root / "r.json", run_record("run-r", child_runs=[{"worker_id": "w1", "session_id": session}]))
    log = _log(tmp_path)
    log.append(f"observability.agent_events.{session}", "turn_start",
               {"index_hint": 1, "session_id": session, "event": {"type": "turn_start", "session_id": session, "iteration": 1}},
               {"session_id": session}, int(time.time() * 1000))
    app = make_app(root, events=tmp_path / ".harn", watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: app.event_log is not None)
        assert app.runs["r.json"].hitl_question_count == 0
        log.append("hitl.questions", "hitl.question_asked",
                   {"request_id": "hitl_question_9", "kind": "question", "agent": "planner",
                    "run_id": "run-r", "requested_at": "2026-11-20T09:30:00Z",
                    "payload": {"prompt": "Ship it?"}},
                   {"request_id": "hitl_question_9", "run_id": "run-r"}, int(time.time() * 1000))
        await wait_for(pilot, lambda: app.runs["r.json"].hitl_question_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        assert [q.prompt for q in screen.detail.record.hitl_questions] == ["Ship it?"]
        assert len(screen.detail.agent_sessions[session]) == 1
        for i in range(2, 5):
            log.append(f"observability.agent_events.{session}", "agent_message_chunk",
                       {"index_hint": i, "session_id": session,
                        "event": {"type": "agent_message_chunk", "session_id": session, "content": f"chunk {i}"}},
                       {"session_id": session}, int(time.time() * 1000))
        await wait_for(pilot, lambda: len(screen.detail.agent_sessions[session]) == 4)
        log.append("hitl.questions", "hitl.response_received",
                   {"request_id": "hitl_question_9", "kind": "question", "answer": "yes"},
                   {"request_id": "hitl_question_9", "run_id": "run-r"}, int(time.time() * 1000))
        await wait_for(pilot, lambda: getattr(screen.detail.hitl_states.get("hitl_question_9"), "state", "") == "answered")
    log.close()
    # the reader never wrote to the database
    con = sqlite3.connect(tmp_path / ".harn" / "events.sqlite")
    assert con.execute("select count(*) from events").fetchone()[0] == 6
    con.close()


def _relative_root(tmp_path: Path, form: str, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """Make `tmp_path/proj/runs` reachable as `form` from the current folder."""
    proj = tmp_path / "proj"
    (proj / "runs").mkdir(parents=True)
    if form == "symlink":
        (tmp_path / "link").symlink_to(proj / "runs", target_is_directory=True)
        monkeypatch.chdir(tmp_path)
        return Path("link")
    if form == "..":
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        return Path("../proj/runs")
    monkeypatch.chdir(proj)
    return Path(form)


@pytest.mark.parametrize("form", ["runs", "./runs", "..", "symlink"])
async def test_live_updates_with_a_relative_or_symlinked_root(tmp_path: Path, monkeypatch, form: str) -> None:  # type: ignore[no-untyped-def]
    """Watcher events are absolute; the root the user typed may not be (issue 9.1)."""
    root = _relative_root(tmp_path, form, monkeypatch)
    real = tmp_path / "proj" / "runs"
    write(real / "a.json", run_record("run-a"))
    app = make_app(root, events=Path("../.harn") if form == "./runs" else None, watch=True)
    log = _log(tmp_path) if form == "./runs" else None  # at tmp_path/.harn = ../.harn
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert rows(app) == {"a.json": "running"}
        write(real / "b.json", run_record("run-b"))  # new
        await wait_for(pilot, lambda: "b.json" in app.runs)
        atomic_write_json(real / "a.json", run_record("run-a", "failed"))  # rewritten
        await wait_for(pilot, lambda: rows(app).get("a.json") == "failed")
        (real / "b.json").unlink()  # deleted
        await wait_for(pilot, lambda: "b.json" not in app.runs)
        await pilot.press("enter")  # the open run follows its file too
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        atomic_write_json(real / "a.json", run_record("run-a", "failed", stages=4))
        await wait_for(pilot, lambda: screen.detail is not None and len(screen.detail.record.stages) == 4)
        if log is not None:  # a relative --events path is followed live as well
            await wait_for(pilot, lambda: app.event_log is not None)
            log.append("hitl.questions", "hitl.question_asked",
                       {"request_id": "hitl_question_r", "kind": "question", "agent": "a",
                        "run_id": "run-a", "requested_at": "2026-11-20T09:30:00Z",
                        "payload": {"prompt": "Go?"}},
                       {"request_id": "hitl_question_r", "run_id": "run-a"}, int(time.time() * 1000))
            await wait_for(pilot, lambda: app.runs["a.json"].hitl_question_count == 1)
    if log is not None:
        log.close()


async def test_a_flood_of_event_log_changes_is_coalesced(tmp_path: Path) -> None:
    """Many change notices while a refresh runs cost one more round, not one re-render each;
    the detail still ends up with every row."""
    root = tmp_path / "runs"
    root.mkdir()
    session = "session-flood"
    write(root / "r.json", run_record("run-r", child_runs=[{"worker_id": "w1", "session_id": session}]))
    log = _log(tmp_path)

    def chunk(i: int) -> None:
        log.append(f"observability.agent_events.{session}", "agent_message_chunk",
                   {"index_hint": i, "session_id": session,
                    "event": {"type": "agent_message_chunk", "session_id": session, "content": f"c{i}"}},
                   {"session_id": session}, int(time.time() * 1000))

    chunk(1)
    app = make_app(root, events=tmp_path / ".harn", watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: app.event_log is not None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        shows: list[int] = []
        original = screen._show

        def counting(detail) -> None:  # type: ignore[no-untyped-def]
            shows.append(len(detail.agent_sessions.get(session) or []))
            original(detail)

        screen._show = counting  # type: ignore[method-assign]
        for i in range(2, 32):
            chunk(i)
            screen.refresh_events()
        await wait_for(pilot, lambda: len(screen.detail.agent_sessions[session]) == 31)
        await wait_for(pilot, lambda: not screen._refreshing, timeout=10)
        assert 1 <= len(shows) <= 3, shows
    log.close()


def test_the_explorer_parses_at_a_lower_priority(tmp_path: Path) -> None:
    """Beside the UI the index pools are background pools; headless ones are not."""
    from harn_tui.app import HarnTuiApp
    from harn_tui.core.index.run_index import RunIndex

    assert HarnTuiApp(tmp_path, cache_dir=None).index.background
    assert not RunIndex(tmp_path).background
