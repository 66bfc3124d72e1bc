"""SVG snapshots of the portal views: failure jump, overview sections, costs (see test_snapshots)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.app import HarnTuiApp
from harn_tui.core.demo.common import BASE_MS
from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.core.format import clock
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen

BIG = (120, 36)
SMALL = (80, 24)


@pytest.fixture(scope="module")
def snap_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("portal-snapshots")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", base_ms=BASE_MS)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "_source", lambda: BASE_MS)
    monkeypatch.delenv("NO_COLOR", raising=False)


def _app(corpus: Corpus) -> HarnTuiApp:
    app = make_app(corpus.root, corpus.state_dir)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


async def _settle(pilot: Pilot, corpus: Corpus) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    assert str(corpus.root.parent) not in screen_text(pilot.app), "a temporary path is on screen"


async def _loaded(pilot: Pilot) -> None:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and bool(app.screen.table.rows))
    await pilot.pause()


async def _open_failed(pilot: Pilot) -> RunScreen:
    app = pilot.app
    await _loaded(pilot)
    app.screen.status_filter = "failed"
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
    await pilot.pause()
    return app.screen


@pytest.mark.parametrize("size", [BIG, SMALL], ids=["120x36", "80x24"])
def test_failed_run_opened_on_its_failure(snap_compare, snap_corpus: Corpus, size) -> None:  # type: ignore[no-untyped-def]
    async def before(pilot: Pilot) -> None:
        screen = await _open_failed(pilot)
        await wait_for(pilot, lambda: screen.query_one("#stages-error").display)
        pilot.app.clear_notifications()
        await _settle(pilot, snap_corpus)

    assert snap_compare(_app(snap_corpus), terminal_size=size, run_before=before)


def _deploy(corpus: Corpus):  # type: ignore[no-untyped-def]
    return next(r for r in corpus.runs if r.workflow == "deploy" and r.status == "completed" and r.sidecar)


async def _open(pilot: Pilot, run_id: str) -> RunScreen:
    app = pilot.app
    await _loaded(pilot)
    table = app.screen.table
    table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run_id)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
    await pilot.pause()
    return app.screen


@pytest.mark.parametrize(("size", "section"), [(BIG, "1"), (SMALL, "1"), (BIG, "4"), (BIG, "7")],
                         ids=["insights-120x36", "insights-80x24", "replay-120x36", "activity-120x36"])
def test_overview(snap_compare, snap_corpus: Corpus, size, section: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.overview import OverviewScreen

    monkeypatch.chdir(snap_corpus.root.parent)  # commands name `.harn-runs/…`, as the portal does

    async def before(pilot: Pilot) -> None:
        await _open(pilot, _deploy(snap_corpus).run_id)
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, OverviewScreen))
        await pilot.press(section)
        await _settle(pilot, snap_corpus)

    assert snap_compare(_app(snap_corpus), terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", [BIG, SMALL], ids=["120x36", "80x24"])
def test_costs(snap_compare, snap_corpus: Corpus, size) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.costs import CostsScreen

    async def before(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CostsScreen))
        await _settle(pilot, snap_corpus)

    assert snap_compare(_app(snap_corpus), terminal_size=size, run_before=before)
