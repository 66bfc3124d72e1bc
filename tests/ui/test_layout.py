"""Every screen at 80x24 and 120x36: nothing overflows the terminal or its container, and the
footer shows whole keys only, with help and quit always among them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey
from uitools import compare_loaded, make_app, wait_for, wait_ready

from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.screens.compare import CompareScreen
from harn_tui.screens.empty import EmptyScreen
from harn_tui.screens.help import HelpScreen
from harn_tui.screens.inbox import InboxScreen
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen
from harn_tui.screens.stage import StageScreen
from harn_tui.screens.text_view import TextScreen
from harn_tui.widgets.footer import KeyFooter

SIZES = [(80, 24), (120, 36)]
PANES = ("stages", "children", "hitl", "compaction", "replay", "turns", "lens", "waterfall", "graph")
Tour = Callable[[Pilot], Awaitable[None]]


@pytest.fixture(scope="module")
def tour_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("layout")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn")


async def _loaded(pilot: Pilot) -> None:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and bool(app.screen.table.rows))


def _richest(corpus: Corpus) -> str:
    return next(
        r.run_id for r in corpus.runs
        if r.workflow == "deploy" and r.status == "completed" and r.sidecar is not None
    )


async def _open(pilot: Pilot, run_id: str) -> RunScreen:
    await _loaded(pilot)
    table = pilot.app.screen.table
    table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run_id)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunScreen) and pilot.app.screen.detail is not None)
    return pilot.app.screen


def _pane(corpus: Corpus, key: str) -> Tour:
    async def go(pilot: Pilot) -> None:
        await _open(pilot, _richest(corpus))
        await pilot.press(key)

    return go


def _tours(corpus: Corpus) -> dict[str, Tour]:
    async def runs(pilot: Pilot) -> None:
        await _loaded(pilot)

    async def stage(pilot: Pilot) -> None:
        await _open(pilot, _richest(corpus))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, StageScreen))

    async def json(pilot: Pilot) -> None:
        await _open(pilot, _richest(corpus))
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JsonScreen))

    async def text(pilot: Pilot) -> None:
        await _loaded(pilot)
        pilot.app.open_text("a text\n" * 100, "a title")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextScreen))

    async def inbox(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, InboxScreen) and pilot.app.screen.loaded)

    async def compare(pilot: Pilot) -> None:
        await _open(pilot, _richest(corpus))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))

    async def help_(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))

    async def saved(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press("Q")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "SavedQueriesScreen")

    async def picker(pilot: Pilot) -> None:
        await compare(pilot)
        await wait_for(pilot, lambda: compare_loaded(pilot.app.screen))
        await pilot.press("b")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "BaselinePicker")

    async def broken(pilot: Pilot) -> None:
        await _loaded(pilot)
        table = pilot.app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if r.broken)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextScreen))

    async def overview(pilot: Pilot) -> None:
        await _open(pilot, _richest(corpus))
        await pilot.press("O")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "OverviewScreen")

    async def costs(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "CostsScreen")

    async def dlq(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press("D")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "DlqScreen")

    tours: dict[str, Tour] = {"overview": overview, "costs": costs, "dead-letters": dlq, "saved-queries": saved, "baseline-picker": picker, "broken": broken, "runs": runs, "stage": stage, "json": json, "text": text,
                              "inbox": inbox, "compare": compare, "help": help_}
    for i, name in enumerate(PANES):
        tours[f"run-{name}"] = _pane(corpus, str(i + 1))
    return tours


TOURS = ["overview", "costs", "dead-letters", "saved-queries", "baseline-picker", "broken", "runs", "stage", "json", "text", "inbox", "compare", "help",
         *(f"run-{n}" for n in PANES)]


def _scroller(widget: Widget) -> Widget | None:
    """The nearest ancestor that scrolls (its content may extend past it, shown by a scrollbar)."""
    for node in widget.ancestors:
        if isinstance(node, Widget) and node.is_scrollable and node.region.area:
            return node
    return None


def overflowing(screen: Widget) -> list[str]:
    """Widgets drawn (partly) outside the terminal, or cut at the side of a container that
    scrolls only vertically (a scrolling container may extend down, never sideways)."""
    bad = []
    area = screen.region
    for widget in screen.walk_children(with_self=False):
        if not widget.display or not widget.visible or widget.region.area == 0:
            continue
        region = widget.region
        scroller = _scroller(widget)
        if scroller is None:
            if not area.contains_region(region):
                bad.append(f"{widget!r} {region} outside the terminal {area}")
        elif not scroller.allow_horizontal_scroll and (
            region.x < scroller.region.x or region.right > scroller.region.right
        ):
            bad.append(f"{widget!r} {region} cut at the side of {scroller!r} {scroller.region}")
    return bad


def footer_problems(screen: Widget) -> list[str]:
    footers = list(screen.query(Footer))
    if not footers:
        return []
    footer = footers[0]
    if not isinstance(footer, KeyFooter):
        return [f"{type(screen).__name__} uses {type(footer).__name__}, which cuts keys (use KeyFooter)"]
    keys = list(footer.query(FooterKey))
    palette = [k.region for k in keys if k.has_class("-command-palette")]
    bad = [f"{k.key_display} {k.description!r} cut ({k.region} in {footer.region})"
           for k in keys if not footer.region.contains_region(k.region)
           or any(k.region.overlaps(p) for p in palette if p != k.region)]
    actions = {k.action for k in keys}
    if "help" not in actions:
        bad.append("no ? help in the footer")
    if not actions & {"quit", "app.quit"}:
        bad.append("no quit key in the footer")
    return bad


async def _check(app, pilot: Pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.pause(0.1)
    screen = app.screen
    problems = overflowing(screen) + footer_problems(screen)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", TOURS)
async def test_every_screen_fits(tour_corpus: Corpus, name: str, size: tuple[int, int]) -> None:
    app = make_app(tour_corpus.root, tour_corpus.state_dir)
    async with app.run_test(size=size) as pilot:
        await _tours(tour_corpus)[name](pilot)
        await _check(app, pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_empty_state_fits(size: tuple[int, int]) -> None:
    app = make_app(Path("/nonexistent/harn-tui-layout/some/deeper/folder/.harn-runs"))
    async with app.run_test(size=size) as pilot:
        await wait_ready(pilot)
        assert isinstance(app.screen, EmptyScreen)
        await _check(app, pilot)
