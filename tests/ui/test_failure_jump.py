"""Why did it fail, in one key: Enter on a failed run, `e` in the run detail, the header."""

from __future__ import annotations

from uitools import make_app, screen_text, wait_for, wait_for_text, wait_ready

from harn_tui.core.analysis.failures import failure_points
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause()


def _active_pane(screen: RunScreen) -> str:
    return (screen.query_one("#panes").active or "").removeprefix("pane-")


async def test_enter_on_a_failed_run_opens_the_failing_stage_with_its_error(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        runs.status_filter = "failed"
        await pilot.pause()
        failed = runs.table.current
        assert failed is not None and failed.failure
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        from harn_tui.core.analysis.failures import portal_failure_stage

        target = portal_failure_stage(screen.detail.normalized)
        stages = screen.query_one("#stages")
        await wait_for(pilot, lambda: stages.current_index() == target)
        assert _active_pane(screen) == "stages"
        text = await wait_for_text(pilot, "e jumps (")
        assert failed.failure[:40] in text  # the header names the portal's failure summary
        strip = screen.query_one("#stages-error")
        assert strip.display
        assert "✗" in text


async def test_e_walks_attempt_errors_then_session_failures(corpus) -> None:
    run = next(r for r in corpus.runs if r.session_id and r.status == "completed")
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        app.open_path(run.path)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await wait_for(pilot, lambda: bool(screen.detail.agent_sessions))
        points = failure_points(screen.detail)
        kinds = [p.kind for p in points]
        assert "tool_call" in kinds and "event" in kinds
        first = points[0]
        await pilot.press("e")
        await pilot.pause()
        assert _active_pane(screen) == first.pane
        if first.kind == "attempt":  # a completed run can have failed attempts that were retried
            assert screen.query_one("#stages").current_index() == first.stage_index
        tool = next(p for p in points if p.kind == "tool_call")
        screen._goto(points.index(tool))
        await pilot.pause()
        replay = screen.query_one("#replay")
        assert _active_pane(screen) == "replay"
        assert replay.session == tool.session
        assert replay.timeline.cursor == tool.row_index
        assert replay.rows[replay.timeline.cursor].item.is_error
        assert replay.rows[replay.timeline.cursor].item.lane == "tool"
        await pilot.press("e")  # the replay pane's own `e`: the next error event of the session
        await pilot.pause()
        row = replay.rows[replay.timeline.cursor]
        assert row.item.is_error and replay.timeline.cursor != tool.row_index
        assert "budget exhausted" in screen_text(app) or "loop stuck" in screen_text(app)


async def test_e_on_a_clean_run_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    (tmp_path / "ok.json").write_text(json.dumps({
        "_type": "run_record", "id": "ok", "workflow_id": "wf", "status": "completed",
        "stages": [{"id": "s", "node_id": "act", "status": "completed", "outcome": "success"}]}))
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.press("e")
        await wait_for(pilot, lambda: any("no failures in this run" in n.message for n in app._notifications))
        assert screen_text(app).count("e jumps (") == 0


async def test_harns_portal_failure_example_opens_on_verify() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / ".." / "shared" / "harn-examples" / "more" / "portal-failure"
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one("#stages-error").display)
        text = screen_text(app)
        assert "verify failed: assertion failed" in text  # Harn's own test asserts this summary
        assert screen.query_one("#stages").current_index() == 0
