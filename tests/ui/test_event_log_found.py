"""The explorer finds the event log of the project holding the run root, or says it found none."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from uitools import make_app, screen_text, wait_for, wait_for_text, wait_ready

from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.screens.run import RunScreen

RECORD = {"_type": "run_record", "id": "run-r", "workflow_id": "deploy", "status": "running",
          "started_at": "2026-11-20T09:00:00Z"}


def _demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, with_log: bool) -> Path:
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "r.json").write_bytes(orjson.dumps(RECORD))
    if with_log:
        log = EventLogWriter(demo / ".harn", "sqlite")
        log.append("hitl.questions", "hitl.question_asked",
                   {"request_id": "hitl_question_1", "kind": "question", "agent": "a", "run_id": "run-r",
                    "requested_at": "2026-11-20T09:30:00Z", "payload": {"prompt": "Ship?"}},
                   {"request_id": "hitl_question_1", "run_id": "run-r"}, 1_790_000_000_000)
        log.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return demo


async def test_the_roots_own_event_log_is_read_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = _demo(tmp_path, monkeypatch, with_log=True)
    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.event_log is not None and app.runs.get("r.json") is not None)
        await wait_for(pilot, lambda: app.runs["r.json"].hitl_question_count == 1)
        assert "no event log" not in screen_text(app)


async def test_no_event_log_is_said_in_the_header_and_the_hitl_pane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = _demo(tmp_path, monkeypatch, with_log=False)
    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert "r.json" in app.runs
        await wait_for_text(pilot, "no event log: --events PATH")
        app.open_run(app.runs["r.json"])
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.press("3")
        await pilot.pause(0.2)
        flat = " ".join(screen_text(app).split())
        assert "no event log found" in flat and "pass --events PATH to read one" in flat


async def test_an_event_log_that_appears_later_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = _demo(tmp_path, monkeypatch, with_log=False)
    app = make_app(demo, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert "r.json" in app.runs
        await wait_for_text(pilot, "no event log: --events PATH")
        log = EventLogWriter(demo / ".harn", "sqlite")  # Harn starts writing one
        log.append("hitl.approvals", "hitl.approval_requested",
                   {"request_id": "hitl_approval_1", "kind": "approval", "agent": "a", "run_id": "run-r",
                    "requested_at": "2026-11-20T09:30:00Z", "payload": {"action": "ship"}},
                   {"request_id": "hitl_approval_1", "run_id": "run-r"}, 1_790_000_000_000)
        await wait_for(pilot, lambda: app.event_log is not None, timeout=15)
        await wait_for(pilot, lambda: app.runs["r.json"].hitl_question_count == 1)
        await pilot.pause(0.2)
        assert "no event log" not in screen_text(app)
        log.close()
