"""Pilot tests of the time scrubber: keys, Moved messages, hostile labels, RunScreen wiring."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.core.analysis.asof import Moment, as_of, merged_timeline
from harn_tui.core.format.timestamps import format_clock as clock
from harn_tui.screens.run import RunScreen
from harn_tui.widgets.scrubber import (
    BIG_STEP,
    SCRUB_BINDINGS,
    AsOfMixin,
    TimeScrubber,
    palette_commands,
)

SIZE = (120, 30)
BASE = 1_795_158_000_000
HOSTILE = "[bold]x[/] \x1b]0;t\x07 [link=http://e]y"


def moments(n: int = 25) -> list[Moment]:
    return [Moment(BASE + i * 1500, "stage", f"stage n{i} started", f"stages[{i}]")
            for i in range(n)]


class HostScreen(AsOfMixin, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*SCRUB_BINDINGS]

    def __init__(self, items: list[Moment]) -> None:
        super().__init__()
        self.items = items
        self.moved: list[tuple[int | None, int | None]] = []

    def compose(self) -> ComposeResult:
        yield TimeScrubber(id="scrubber")
        yield Static("body")

    def on_mount(self) -> None:
        self.query_one(TimeScrubber).set_moments(self.items)

    def on_time_scrubber_moved(self, message: TimeScrubber.Moved) -> None:
        self.moved.append((message.ms, message.index))


class Host(App[None]):
    def __init__(self, items: list[Moment]) -> None:
        super().__init__()
        self.items = items

    def on_mount(self) -> None:
        self.push_screen(HostScreen(self.items))


async def test_keys_move_the_cursor_and_post_moved_with_the_right_ms() -> None:
    items = moments()
    app = Host(items)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HostScreen)
        scrubber = screen.query_one(TimeScrubber)
        assert scrubber.index is None and "now" in screen_text(app)
        await pilot.press("right_square_bracket")  # already at now: nothing
        await pilot.pause()
        assert screen.moved == []
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert screen.moved[-1] == (items[-1].ms, len(items) - 1)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert screen.moved[-1] == (items[-3].ms, len(items) - 3)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.moved[-1] == (items[-2].ms, len(items) - 2)
        text = screen_text(app)
        assert clock(items[-2].ms) in text and "stage n23 started" in text
        assert f"({len(items) - 1}/{len(items)})" in text
        await pilot.press("left_curly_bracket")
        await pilot.pause()
        assert screen.moved[-1] == (items[-2 - BIG_STEP].ms, len(items) - 2 - BIG_STEP)
        for _ in range(5):
            await pilot.press("left_curly_bracket")
        await pilot.pause()
        assert screen.moved[-1] == (items[0].ms, 0)
        count = len(screen.moved)
        await pilot.press("left_square_bracket")  # at the first moment: stays
        await pilot.pause()
        assert len(screen.moved) == count
        await pilot.press("right_curly_bracket")
        await pilot.pause()
        assert screen.moved[-1] == (items[BIG_STEP].ms, BIG_STEP)
        await pilot.press("0")
        await pilot.pause()
        assert screen.moved[-1] == (None, None)
        assert scrubber.ms is None and scrubber.moment is None
        commands = {name: callback for name, callback, _ in palette_commands(app)}
        commands["Time: one moment back"]()
        await pilot.pause()
        assert screen.moved[-1] == (items[-1].ms, len(items) - 1)
        commands["Time: back to now"]()
        await pilot.pause()
        assert screen.moved[-1] == (None, None)


async def test_hostile_label_renders_literally() -> None:
    items = [Moment(BASE, "transcript", HOSTILE, "transcript:x")]
    app = Host(items)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("left_square_bracket")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold]x[/]" in text
        assert "\\x1b]0;t\\x07" in text
        assert "[link=http://e]y" in text
        assert "\x1b]0;t" not in text


async def test_empty_timeline_says_so_and_ignores_keys() -> None:
    app = Host([])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("left_square_bracket", "left_curly_bracket", "0")
        await pilot.pause()
        assert app.screen.moved == []  # type: ignore[attr-defined]
        assert "nothing to scrub" in screen_text(app)
        app.push_screen(Screen())
        await pilot.pause()
        assert palette_commands(app) == []  # only a scrubbing screen offers them


# -- wired into the real RunScreen ------------------------------------------------------


async def test_run_screen_panes_show_the_run_as_of_the_cursor(corpus) -> None:  # type: ignore[no-untyped-def]
    r3 = next(r for r in corpus.runs if r.workflow == "review_captain" and not r.sparse)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        screen = RunScreen(r3.path)
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.detail is not None)
        await pilot.pause()
        detail = screen.detail
        assert detail is not None
        stages = screen.query_one("#stages-table", DataTable)
        children = screen.query_one("#children-table", DataTable)
        full_stages, full_children = len(detail.record.stages), len(detail.record.child_runs)
        assert (stages.row_count, children.row_count) == (full_stages, full_children)
        timeline = merged_timeline(detail)
        await pilot.press("left_square_bracket")
        steps = 0
        while True:  # back, ten moments at a time, until some stage has not started yet
            await pilot.press("left_curly_bracket")
            steps += 1
            await pilot.pause()
            scrubber = screen.query_one(TimeScrubber)
            assert scrubber.ms is not None
            expected = as_of(detail, scrubber.ms)
            assert stages.row_count == len(expected.record.stages)
            assert children.row_count == len(expected.record.child_runs)
            if stages.row_count < full_stages and expected.record.child_runs:
                break
            assert steps < len(timeline)
        assert scrubber.index == len(timeline) - 1 - BIG_STEP * steps
        scrubbed = stages.row_count
        screen._show(detail)  # a live reload while scrubbing keeps showing the past
        await pilot.pause()
        assert stages.row_count == scrubbed < full_stages
        assert screen.query_one(TimeScrubber).index == len(timeline) - 1 - BIG_STEP * steps
        text = screen_text(app)
        assert "running" in text  # header status while the run had not finished
        assert clock(scrubber.ms) in text
        await pilot.press("0")
        await pilot.pause()
        assert (stages.row_count, children.row_count) == (full_stages, full_children)
        assert screen.query_one(TimeScrubber).ms is None


def test_snapshot_scrubbed_to_a_span(snap_compare) -> None:  # type: ignore[no-untyped-def]
    items = [
        Moment(BASE, "run", "run started", "run"),
        Moment(BASE + 580, "stage", "stage plan started", "stages[0]"),
        Moment(BASE + 22_615, "span", "span (≈ run start +22.615s) llm_call build:llm_call",
               "span:7"),
        Moment(BASE + 40_000, "hitl", "HITL asked: Which environment should I deploy to?",
               "hitl:q1"),
        Moment(BASE + 90_000, "run", "run completed", "run"),
    ]
    app = Host(items)
    app.animation_level = "none"

    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        app.theme = "textual-dark"
        await pilot.pause()
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 4), run_before=before)
