"""Pilot tests of the explorer: run list, filters, detail panes, drill-down, empty state."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from uitools import make_app, screen_text, tree_digest, wait_for, wait_for_text, wait_ready

from harn_tui.screens.empty import EmptyScreen
from harn_tui.screens.help import HelpScreen
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


def _good_runs(corpus):  # type: ignore[no-untyped-def]
    return [r for r in corpus.runs]


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause()


async def test_run_list_shows_every_run_newest_first_and_broken_files(corpus) -> None:
    before = tree_digest(corpus.root, corpus.state_dir)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        rows = screen.table.rows
        good = [r for r in rows if not r.broken]
        assert len(good) == len(corpus.runs) + len(corpus.incomplete)
        starts = [r.started_at_ms for r in good if r.started_at_ms is not None]
        assert starts == sorted(starts, reverse=True)
        broken = {r.path for r in rows if r.broken}
        assert {p.relative_to(corpus.root).as_posix() for p in corpus.broken} <= broken
        text = screen_text(app)
        assert f"{len(good)} runs" in text
        assert "broken" in text
    assert tree_digest(corpus.root, corpus.state_dir) == before


async def test_filter_status_workflow_and_sort_cycle(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        screen = app.screen
        total = len(screen.table.rows)
        await pilot.press("slash", *"verify")
        await pilot.pause()
        assert 0 < len(screen.table.rows) < total
        assert all("verify" in r.search_text() for r in screen.table.rows)
        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.table.rows) == total
        await pilot.press("s")  # active
        await pilot.pause()
        assert screen.status_filter == "active"
        assert all(r.status_group == "active" for r in screen.table.rows)
        await pilot.press("s", "s")  # completed, failed
        await pilot.pause()
        assert screen.status_filter == "failed"
        assert screen.table.rows and all(r.status in ("failed", "error", "cancelled") for r in screen.table.rows)
        await pilot.press("s")
        await pilot.press("w")
        await pilot.pause()
        assert screen.workflow_filter is not None
        assert {r.workflow_name for r in screen.table.rows} == {screen.workflow_filter}
        await pilot.press("o")
        await pilot.pause()
        assert screen.sort == "oldest"
        assert "sort:oldest" in screen_text(app)


async def test_vim_keys_move_the_cursor(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        table = app.screen.table
        await pilot.press("j", "j")
        assert table.cursor == 2
        await pilot.press("k")
        assert table.cursor == 1
        await pilot.press("G")
        assert table.cursor == len(table.rows) - 1
        await pilot.press("g")
        assert table.cursor == 0


async def _open_run(pilot, corpus, run_id: str) -> RunScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await _loaded(pilot)
    table = app.screen.table
    index = next(i for i, r in enumerate(table.rows) if r.id == run_id)
    table.cursor = index
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
    await pilot.pause()
    return app.screen


async def test_detail_panes_by_number_and_tab(corpus) -> None:
    failed = next(r for r in corpus.runs if r.status == "failed")
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_run(pilot, corpus, failed.run_id)
        text = screen_text(app)
        assert failed.workflow in text
        assert "failed" in text
        for key, pane in zip("123456", ("stages", "children", "hitl", "compaction", "replay", "turns"), strict=True):
            await pilot.press(key)
            await pilot.pause()
            assert screen.query_one("#panes").active == f"pane-{pane}"
        await pilot.press("1", "tab")
        await pilot.pause()
        assert screen.query_one("#panes").active == "pane-children"
        await pilot.press("shift+tab")
        await pilot.pause()
        assert screen.query_one("#panes").active == "pane-stages"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


async def test_stages_pane_lists_stages_and_opens_internals(corpus) -> None:
    failed = next(r for r in corpus.runs if r.status == "failed")
    record = orjson.loads(failed.path.read_bytes())
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_run(pilot, corpus, failed.run_id)
        table = screen.query_one("#stages-table")
        assert table.row_count == len(record["stages"])
        text = screen_text(app)
        assert record["stages"][0]["node_id"] in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "StageScreen")
        assert record["stages"][0]["node_id"] in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_child_run_drill_down_and_back(corpus) -> None:
    parent = next(r for r in corpus.runs if any(c.parent_run_id == r.run_id for c in corpus.runs))
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_run(pilot, corpus, parent.run_id)
        await pilot.press("2")
        await pilot.pause()
        children = screen.query_one("#children-table")
        assert children.row_count >= 1
        resolvable = [
            i for i, c in enumerate(screen.detail.record.child_runs)
            if screen.query_one("ChildrenPane")._resolve(c.run_path) is not None
        ]
        assert resolvable, "the corpus has child run files"
        children.move_cursor(row=resolvable[0])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen is not screen
                       and app.screen.detail is not None)
        child_screen = app.screen
        assert child_screen.trail == [parent.run_id]
        assert parent.run_id in screen_text(app)  # the breadcrumb
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_hitl_pane_merges_questions_from_the_event_log(corpus) -> None:
    run_id = corpus.hitl_question_runs[0]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        screen = await _open_run(pilot, corpus, run_id)
        await pilot.press("3")
        await pilot.pause()
        table = screen.query_one("#hitl-table")
        assert table.row_count >= 1
        rows = {table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)}
        assert {q.request_id for q in screen.detail.record.hitl_questions} <= rows


async def test_compaction_pane_shows_events(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        from harn_tui.core.format.normalize import load_run

        run = next(
            r for r in corpus.runs
            if load_run(r.path).compaction_events
        )
        screen = await _open_run(pilot, corpus, run.run_id)
        await pilot.press("4")
        await pilot.pause()
        table = screen.query_one("#compaction-table")
        assert table.row_count == len(screen.detail.compaction_events)
        assert "→" in screen_text(app)


async def test_help_lists_keys_of_the_current_screen(corpus) -> None:
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for desc in ("Filter", "Status", "Workflow", "Sort", "Quit"):
            assert desc in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


async def test_empty_state_names_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / ".harn-runs"
    app = make_app(missing)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, EmptyScreen)
        text = await wait_for_text(pilot, "--demo")
        assert "HARN_RUN_DIR" in text
        assert "nowhere" in text


HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07[bold red]x[/] [link=https://evil]click[/link]\u202egnp.exe\x00end"


def _hostile_run(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "hostile.json"
    run = {
        "_type": "run_record", "id": "hostile-run", "workflow_id": "wf", "workflow_name": "hostile[bold]",
        "task": HOSTILE, "status": "failed", "started_at": "2026-04-22T00:00:00Z",
        "stages": [{"id": "s1", "node_id": "act", "kind": "stage", "status": "failed",
                    "outcome": "error", "metadata": {"error": HOSTILE}, "visible_text": HOSTILE}],
    }
    path.write_bytes(orjson.dumps(run))
    return path


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_hostile_text_is_shown_escaped_never_interpreted(tmp_path: Path, size) -> None:  # type: ignore[no-untyped-def]
    _hostile_run(tmp_path / "runs")
    app = make_app(tmp_path / "runs")
    async with app.run_test(size=size) as pilot:
        await _loaded(pilot)
        text = screen_text(app)
        assert "hostile[bold]" in text
        assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.pause()
        text = screen_text(app)
        assert "\\x1b]0;pwned" in text
        assert "[bold red]x[/]" in text
        assert "\x1b" not in text and "\x07" not in text


async def test_exports_never_land_in_the_run_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "runs"
    _hostile_run(root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.press("x", "X")
        await wait_for(pilot, lambda: len(list((tmp_path / "home").glob("harn-run-*"))) == 2)
    assert sorted(p.name for p in root.iterdir()) == ["hostile.json"]
    markdown = (tmp_path / "home" / "harn-run-hostile-run.md").read_text()
    assert "# hostile[bold]" in markdown and "\x1b" not in markdown


async def test_on_a_large_list_the_filter_applies_once_typing_settles(
    corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harn_tui.screens import runs as runs_screen

    monkeypatch.setattr(runs_screen, "FILTER_SETTLE_FROM", 1)  # this small list counts as large
    applied: list[str] = []
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        total = len(screen.table.rows)
        original = screen.recompute_rows
        monkeypatch.setattr(screen, "recompute_rows", lambda: (applied.append(screen.search), original()))
        await pilot.press("slash", *"verify")
        assert len(screen.table.rows) == total and applied == []  # not once per keystroke
        await wait_for(pilot, lambda: len(screen.table.rows) < total)
        assert applied == ["verify"]  # one pass, for the whole word
        assert all("verify" in r.search_text() for r in screen.table.rows)
