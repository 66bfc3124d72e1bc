"""The trigger dead-letter screen (`D`): grouped by error class, pending/all, JSON, live."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from uitools import make_app, screen_text, wait_for, wait_for_text, wait_ready

from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.screens.dlq import DlqScreen
from harn_tui.screens.json_view import JsonScreen

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from dlqdata import write_dlq

SIZE = (120, 36)


@pytest.fixture
def dlq_root(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / ".harn-runs"
    root.mkdir()
    (root / "r.json").write_text(json.dumps({"_type": "run_record", "id": "r", "workflow_id": "wf",
                                             "status": "completed", "started_at": "2026-04-24T10:00:00Z"}))
    state = tmp_path / ".harn"
    write_dlq(state)
    return root, state


async def _open(pilot) -> DlqScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_ready(pilot)
    await pilot.press("D")
    await wait_for(pilot, lambda: isinstance(app.screen, DlqScreen))
    await wait_for_text(pilot, "Trigger dead letters")
    await pilot.pause()
    return app.screen


async def test_dead_letters_grouped_by_error_class(dlq_root) -> None:  # type: ignore[no-untyped-def]
    root, state = dlq_root
    app = make_app(root, state)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await wait_for(pilot, lambda: bool(screen.list.rows))
        text = screen_text(app)
        assert "1 pending of 2" in text  # the purged one is hidden by default
        assert "provider_5xx" in text and "cake-classifier@v2" in text
        assert "x-delivery" in text  # headers of the selected entry (the first entry row)
        await pilot.press("s")
        await pilot.pause()
        text = screen_text(app)
        assert "2 all of 2" in text and "handler_timeout" in text
        kinds = [kind for kind, _ in screen.list.rows]
        assert kinds == ["group", "entry", "group", "entry"]
        screen.list.cursor = 3
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))


async def test_no_dlq_says_so(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await wait_for_text(pilot, "no trigger.dlq entries")
        assert screen.list.rows == []


async def test_dead_letters_are_live(dlq_root) -> None:  # type: ignore[no-untyped-def]
    root, state = dlq_root
    app = make_app(root, state)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await wait_for(pilot, lambda: bool(screen.list.rows))
        w = EventLogWriter(state)
        w.append("trigger.dlq", "dlq_moved", {"trigger_id": "t2", "final_error": "HTTP 401 unauthorized",
                                              "event": {"id": "e9"}}, None, 1_777_000_100_000)
        w.close()
        from harn_tui.messages import EventLogChanged

        app.post_message(EventLogChanged())
        await wait_for_text(pilot, "auth_failed")


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x36", "80x24"])
def test_dlq_snapshot(snap_compare, dlq_root, size) -> None:  # type: ignore[no-untyped-def]
    root, state = dlq_root
    app = make_app(root, state)
    app.theme = "textual-dark"
    app.animation_level = "none"

    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await _open(pilot)
        await wait_for(pilot, lambda: bool(screen.list.rows))
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)


async def test_dead_letter_text_is_shown_literally(tmp_path: Path) -> None:
    root = tmp_path / ".harn-runs"
    root.mkdir()
    state = tmp_path / ".harn"
    evil = "\x1b]0;PWNED\x07[@click=app.quit]Q[b]B"
    w = EventLogWriter(state)
    w.append("trigger.dlq", "dlq_moved", {
        "trigger_id": "t" + evil, "final_error": "boom " + evil,
        "event": {"id": "e1", "provider": evil, "kind": evil, "headers": {"x" + evil: evil},
                  "provider_payload": {"k": evil}}}, None, 1_777_000_000_000)
    w.close()
    app = make_app(root, state)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await wait_for(pilot, lambda: bool(screen.list.rows))
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b]0;PWNED" in text and "[@click=app.quit]" in text
        assert app.is_running
