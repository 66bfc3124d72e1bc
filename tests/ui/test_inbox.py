"""Pilot tests of the HITL inbox: listing, filters, jumping to the run and stage, hostile text."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
from textual.pilot import Pilot
from textual.widgets import DataTable
from uitools import make_app, screen_text, tree_digest, wait_for, wait_for_text, wait_ready

from harn_tui.core.analysis.inbox import match_stage
from harn_tui.core.demo.common import BASE_MS, rfc3339
from harn_tui.core.demo.corpus import Corpus
from harn_tui.core.demo.eventlog_writer import EventLogWriter
from harn_tui.core.demo.records import make_run
from harn_tui.screens.inbox import InboxScreen
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen

SIZE = (120, 36)


async def _inbox(pilot) -> InboxScreen:  # type: ignore[no-untyped-def]
    """Push the inbox as the lead wires it (plain constructor) and wait for its rows."""
    app = pilot.app
    await wait_ready(pilot)
    app.push_screen(InboxScreen())
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.loaded)
    await pilot.pause()
    return app.screen


def _select(screen: InboxScreen, predicate) -> int:  # type: ignore[no-untyped-def]
    index = next(i for i, item in enumerate(screen.rows) if predicate(item))
    screen.inbox.cursor = index
    return index


async def test_inbox_lists_filters_and_refuses_runs_not_in_root(corpus: Corpus) -> None:
    before = tree_digest(corpus.root, corpus.state_dir)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _inbox(pilot)
        rows = screen.rows
        assert len(rows) == 9
        assert {r.kind for r in rows} == {"question", "approval", "dual_control", "escalation"}
        asked = [r.asked_ms for r in rows]
        assert asked == sorted(asked, reverse=True)  # type: ignore[type-var]
        text = screen_text(app)
        assert "9 requests" in text and "3 pending" in text
        for needle in ("timed out", "answered", "approved", "accepted", "escalation", "(run not in root)",
                       "Which region?", "merge_pull_request"):
            assert needle in text, needle
        # the detail panel follows the cursor
        _select(screen, lambda r: r.state == "timed_out")
        await pilot.pause()
        assert "Retry the flaky smoke test?" in screen.query_one("#inbox-detail").render().plain
        # a run that is not in the root: Enter stays and says so; r still shows the raw item
        _select(screen, lambda r: not r.in_root)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert any("run_not_in_root" in n.message for n in app._notifications)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # state cycle and text filter
        await pilot.press("s")
        await pilot.pause()
        assert screen.state_filter == "pending"
        assert len(screen.rows) == 3 and all(not r.resolved for r in screen.rows)
        assert "state:pending" in screen_text(app)
        await pilot.press("s")
        await pilot.pause()
        assert screen.state_filter == "resolved"
        assert len(screen.rows) == 6 and all(r.resolved for r in screen.rows)
        await pilot.press("s")
        await pilot.pause()
        assert screen.state_filter == "all" and len(screen.rows) == 9
        await pilot.press("slash", *"smoke")
        await pilot.pause()
        assert {r.kind for r in screen.rows} == {"question", "escalation"}
        assert len(screen.rows) == 2
        await pilot.press("enter")  # back to the list
        await pilot.pause()
        assert screen.inbox.has_focus
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert screen.search == "" and len(screen.rows) == 9
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("escape")  # then leaves
        await pilot.pause()
        assert not isinstance(app.screen, InboxScreen)
    assert tree_digest(corpus.root, corpus.state_dir) == before


async def _run_loaded(pilot: Pilot) -> RunScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
    assert isinstance(app.screen, RunScreen)
    return app.screen


async def _stage_shown(pilot: Pilot, run_screen: RunScreen, row: int) -> None:
    """The run shows its Stages pane with the cursor on `row`."""
    table = run_screen.query_one("#stages-table", DataTable)
    await wait_for(pilot, lambda: run_screen.query_one("#panes").active == "pane-stages"
                   and table.cursor_row == row)
    await pilot.pause()
    assert run_screen.query_one("#panes").active == "pane-stages"
    assert table.cursor_row == row


async def test_enter_opens_the_run_on_the_stage_that_asked(corpus: Corpus) -> None:
    wins = corpus.hitl_log_wins
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _inbox(pilot)
        _select(screen, lambda r: r.request_id == wins["request_id"])
        item = screen.inbox.current
        assert item is not None and item.run_path is not None
        reloads: list[int] = []  # a spy on the inbox's load results
        shown = screen._loaded
        screen._loaded = lambda *args: (reloads.append(1), shown(*args))  # type: ignore[method-assign]
        await pilot.press("enter")
        run_screen = await _run_loaded(pilot)
        assert run_screen.path == corpus.root / item.run_path
        assert run_screen.trail == ["HITL inbox"]
        assert run_screen.detail is not None and run_screen.detail.record.id == wins["run_id"]
        expected = match_stage(item, [s.raw for s in run_screen.detail.record.stages])
        assert expected is not None
        await _stage_shown(pilot, run_screen, expected)
        await pilot.press("escape")  # back to the inbox, which reloads
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and bool(reloads))
        assert screen.inbox.current is not None and screen.inbox.current.request_id == wins["request_id"]
        await pilot.pause()
        # no stage window holds it (the paused run asked after its last recorded stage
        # finished): the stage to show is the latest one started before the ask, not the
        # HITL pane (issue 9.3)
        _select(screen, lambda r: r.kind == "question" and r.state == "pending" and r.in_root)
        item = screen.inbox.current
        assert item is not None
        await pilot.press("enter")
        run_screen = await _run_loaded(pilot)
        stages = [s.raw for s in run_screen.detail.record.stages]
        assert match_stage(item, stages) is None
        from harn_tui.core.format.timestamps import parse_ms

        latest = max(i for i, s in enumerate(stages) if parse_ms(s["started_at"]) <= item.asked_ms)
        await _stage_shown(pilot, run_screen, latest)


def _hostile_root(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / ".harn-runs"
    root.mkdir()
    rec = make_run(random.Random(5), run_id="hostile-run", workflow="deploy", started_ms=BASE_MS,
                   n_stages=2, status="running", ts_format="rfc3339", hitl=1)
    rec["hitl_questions"][0]["prompt"] = "[bold]x[/] \x1b]0;t\x07 pwned"
    rec["hitl_questions"][0]["agent"] = "[red]agent"
    (root / "hostile.json").write_bytes(orjson.dumps(rec))
    state = tmp_path / ".harn"
    log = EventLogWriter(state)
    ms = BASE_MS + 5000
    env = {"request_id": "hitl_escalation_x", "kind": "escalation", "agent": "ops", "trace_id": "t",
           "run_id": "hostile-run", "requested_at": rfc3339(ms),
           "payload": {"role": "oncall", "reason": "[link=http://x]click[/link] \x1b[2J"}}
    log.append("hitl.escalations", "hitl.escalation_issued", env, {"request_id": env["request_id"]}, ms)
    log.close()
    return root, state


async def test_hostile_text_is_shown_literally(tmp_path: Path) -> None:
    root, state = _hostile_root(tmp_path)
    app = make_app(root, state)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _inbox(pilot)
        assert len(screen.rows) == 2
        _select(screen, lambda r: r.kind == "question")
        await pilot.pause()
        text = await wait_for_text(pilot, "[bold]x[/]")
        assert "\\x1b]0;t\\x07 pwned" in text
        assert "[red]agent" in text
        assert "[link=http://x]click[/link] \\x1b[2J" in text
        assert "\x1b" not in text and "\x07" not in text
        assert "asked" in text  # a run-file question with no outcome in the log


async def test_the_runs_hitl_pane_and_count_hold_what_the_inbox_shows(corpus: Corpus) -> None:
    """Approvals, dual-control requests and escalations are in the run's HITL pane and its
    count in the list, like the inbox (issue 9.3)."""
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _inbox(pilot)
        by_run: dict[str, set[str]] = {}
        for item in screen.rows:
            if item.in_root:
                by_run.setdefault(item.run_path or "", set()).add(item.request_id)
        kinds = {i.kind for i in screen.rows if i.in_root}
        assert {"approval", "escalation"} <= kinds
        rel = next(i.run_path for i in screen.rows if i.in_root and i.kind != "question")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InboxScreen))
        for path, ids in by_run.items():
            assert app.runs[path].hitl_question_count == len(ids), path
        app.open_path(app.root / rel)
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.press("3")
        await pilot.pause(0.2)
        table = app.screen.query_one("#hitl-table", DataTable)
        rows = {table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)}
        assert rows == by_run[rel]
