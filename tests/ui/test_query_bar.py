"""Pilot tests of the query bar and the saved-queries modal (in a small host app)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static
from uitools import screen_text, wait_for, wait_for_text

from harn_tui.core.analysis.query import filter_runs
from harn_tui.core.config.saved_queries import SavedQueries
from harn_tui.core.index.summary import RunSummary
from harn_tui.widgets.query_bar import QueryBar, SavedQueriesScreen

NOW = 1_795_262_400_000
SIZE = (100, 14)
HOSTILE = "[bold]x[/]\x1b]0;t\x07"


def _run(name: str, workflow: str, status: str, group: str, tokens: int, models: list[str]) -> RunSummary:
    return RunSummary(
        path=f"runs/{name}.json", id=name, workflow_id=workflow, workflow_name=workflow,
        status=status, status_group=group, started_at_ms=NOW - 60_000,
        usage={"input_tokens": tokens, "output_tokens": 0, "call_count": 1, "models": models,
               "total_cost": 0.0},
    )


RUNS = [
    _run("a", "deploy", "failed", "failed", 80_000, ["claude-sonnet-4"]),
    _run("b", "deploy", "completed", "completed", 100, ["gpt-5"]),
    _run("c", "triage", "error", "failed", 10, []),
    _run("h", HOSTILE, "running", "active", 5, []),
]


class Host(App[None]):
    """A query bar over RUNS, recording every message it posts."""

    def __init__(self, value: str = "") -> None:
        super().__init__()
        self.value = value
        self.changes: list[QueryBar.Changed] = []
        self.submitted: list[QueryBar.Submitted] = []

    def compose(self) -> ComposeResult:
        yield QueryBar(self.value, runs=lambda: RUNS, id="bar")
        yield Static("below", id="below")

    def on_mount(self) -> None:
        self.animation_level = "none"
        self.query_one(QueryBar).focus_input()

    def on_query_bar_changed(self, event: QueryBar.Changed) -> None:
        self.changes.append(event)

    def on_query_bar_submitted(self, event: QueryBar.Submitted) -> None:
        self.submitted.append(event)


def _ids(event: QueryBar.Changed) -> list[str]:
    assert event.query is not None
    return [s.id for s in filter_runs(RUNS, event.query, NOW)]


async def test_typing_a_query_posts_changed() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"status=failed tokens>50k")
        await wait_for(pilot, lambda: bool(app.changes) and app.changes[-1].text == "status=failed tokens>50k")
        last = app.changes[-1]
        assert last.error is None and last.query is not None
        assert _ids(last) == ["a"]
        assert len(app.changes) == len("status=failed tokens>50k")  # one per keystroke
        assert "✗" not in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.submitted))
        assert app.submitted[-1].text == "status=failed tokens>50k"


async def test_an_invalid_query_shows_the_error_in_red_and_clears_when_fixed() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"tokns>5")
        await wait_for(pilot, lambda: bool(app.changes) and app.changes[-1].text == "tokns>5")
        last = app.changes[-1]
        assert last.query is None
        assert last.error is not None and "unknown field 'tokns'" in last.error
        bar = app.query_one(QueryBar)
        assert bar.parsed is None and bar.error == last.error
        text = screen_text(app)
        assert "✗ unknown field 'tokns' in 'tokns>5' (did you mean tokens?)" in text
        note = app.query_one("#query-note", Static)
        assert note.display and "red" in str(bar.note.style) and bar.note.plain.startswith("✗ unknown")
        for _ in "tokns>5":
            await pilot.press("backspace")
        await pilot.press(*"tokens>5")
        await wait_for(pilot, lambda: app.changes[-1].text == "tokens>5")
        assert app.changes[-1].query is not None and app.changes[-1].error is None
        await pilot.pause()
        assert "✗" not in screen_text(app)


async def test_tab_completes_fields_and_values() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(QueryBar)
        await pilot.press(*"status=fa")
        await wait_for(pilot, lambda: bar.input._suggestion == "status=failed")
        await pilot.press("tab")
        assert bar.value == "status=failed"
        await pilot.press("space", "w", "o")
        await wait_for(pilot, lambda: bar.input._suggestion == "status=failed workflow=")
        await pilot.press("tab")
        assert bar.value == "status=failed workflow="
        await pilot.pause()
        # the other candidates are listed under the input, hostile names literally
        text = screen_text(app)
        assert "tab: workflow=deploy" in text
        assert "[bold]x[/]\\x1b]0;t\\x07" in text
        assert "\x1b]0;t" not in text
        await pilot.press("tab")
        assert bar.value == "status=failed workflow=deploy"
        await wait_for(pilot, lambda: app.changes[-1].text == bar.value)
        assert _ids(app.changes[-1]) == ["a"]


async def test_hostile_error_text_renders_literally() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(QueryBar)
        bar.value = "nope=" + HOSTILE  # e.g. pasted
        await wait_for(pilot, lambda: bool(app.changes) and app.changes[-1].error is not None)
        await pilot.pause()
        assert bar.value == "nope=[bold]x[/]\\x1b]0;t\\x07"  # control characters made visible
        text = screen_text(app)
        assert " nope=[bold]x[/]\\x1b]0;t\\x07" in text
        assert "unknown field 'nope' in 'nope=[bold]x[/]\\x1b]0;t\\x07'" in text
        assert "\x1b" not in text and "\x07" not in text


class SavedHost(App[None]):
    def __init__(self, store: SavedQueries, current: str) -> None:
        super().__init__()
        self.store = store
        self.current = current
        self.results: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def open_saved(self) -> None:
        self.push_screen(SavedQueriesScreen(self.current, self.store), self.results.append)


async def test_saved_queries_screen_adds_applies_and_deletes(tmp_path: Path) -> None:
    store = SavedQueries(tmp_path / "queries.json")
    app = SavedHost(store, "status=failed since=2h")
    async with app.run_test(size=SIZE) as pilot:
        app.open_saved()
        await wait_for_text(pilot, "No saved queries")
        await pilot.press("a")
        await pilot.pause()
        assert [q.query for q in SavedQueries(store.path).load()] == ["status=failed since=2h"]
        assert "status=failed since=2h" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.results))
        assert app.results == ["status=failed since=2h"]
        app.current = HOSTILE
        store.add("hitl>0")
        app.open_saved()
        await wait_for_text(pilot, "hitl>0")
        await pilot.press("d")  # the first one
        await pilot.pause()
        assert [q.query for q in SavedQueries(store.path).load()] == ["hitl>0"]
        text = screen_text(app)
        assert "[bold]x[/]\\x1b]0;t\\x07" in text  # the current (hostile) query, literally
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.results) == 2)
        assert app.results[-1] is None


async def test_saved_queries_screen_reports_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "queries.json"
    path.write_text("{oops")
    app = SavedHost(SavedQueries(path), "hitl>0")
    async with app.run_test(size=SIZE) as pilot:
        app.open_saved()
        await wait_for_text(pilot, "queries.json ignored: not valid JSON")
        await pilot.press("a")
        await pilot.pause()
        assert [q.query for q in SavedQueries(path).load()] == ["hitl>0"]
        assert (tmp_path / "queries.json.corrupt").read_text() == "{oops"


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("status=failed", ["space", *"tokns>5"]),  # the error line
        ("status=failed", ["space", "w", "o"]),  # ghost completion
        ("status=failed", ["space", *"workflow="]),  # the candidates line
    ],
)
def test_query_bar_snapshot(snap_compare, value: str, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(Host(value), terminal_size=SIZE, press=keys)


async def test_ghost_completion_of_a_hostile_value_is_escaped() -> None:
    hostile_first = [_run("h1", HOSTILE, "running", "active", 5, []), _run("h2", HOSTILE, "x", "active", 5, [])]
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(QueryBar)
        bar._runs = lambda: hostile_first + RUNS
        await pilot.press(*"workflow=")
        await wait_for(pilot, lambda: bar.input._suggestion != "")
        assert bar.input._suggestion == "workflow=[bold]x[/]\\x1b]0;t\\x07"
        await pilot.pause()
        text = screen_text(app)
        assert "workflow=[bold]x[/]\\x1b]0;t\\x07" in text
        assert "\x1b" not in text and "\x07" not in text


async def test_a_long_query_error_wraps_instead_of_being_cut_at_120_columns() -> None:
    """The end of the message (the hint that fixes the query) stays on screen (issue 9.11)."""
    app = Host()
    async with app.run_test(size=(120, 14)) as pilot:
        await pilot.press(*"stauts=failed")
        await wait_for(pilot, lambda: bool(app.changes) and app.changes[-1].text == "stauts=failed")
        await pilot.pause()
        error = app.changes[-1].error
        assert error is not None and len(error) > 120
        flat = " ".join(screen_text(app).split())
        assert " ".join(f"✗ {error}".split()) in flat
