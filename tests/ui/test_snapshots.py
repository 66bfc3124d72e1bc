"""SVG snapshot tests of every screen (pytest-textual-snapshot; update with `--snapshot-update`).

Deterministic by construction: the corpus comes from a fixed seed and a fixed `base_ms`, the
one clock (`core.format.clock`) is frozen at that same instant, animations are off, and
every snapshot asserts that the corpus's temporary directory (which differs per session) is not
on screen. The empty state uses a fixed path that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.app import HarnTuiApp
from harn_tui.core.demo.common import BASE_MS
from harn_tui.core.demo.corpus import Corpus, RunInfo, write_corpus
from harn_tui.core.format import clock
from harn_tui.screens.empty import EmptyScreen
from harn_tui.screens.help import HelpScreen
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen
from harn_tui.screens.stage import StageScreen

BIG = (120, 36)
SMALL = (80, 24)
#: Where the empty-state snapshot "looks" for runs (shown on screen, so fixed; never created).
MISSING_ROOT = Path("/nonexistent/harn-tui-snapshots/.harn-runs")

RunBefore = Callable[[Pilot], Awaitable[None]]


@pytest.fixture(scope="module")
def snap_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("snapshots")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", base_ms=BASE_MS)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative start times ("2h ago") count from the corpus's base time, not the wall clock."""
    monkeypatch.setattr(clock, "_source", lambda: BASE_MS)
    monkeypatch.delenv("NO_COLOR", raising=False)  # Textual would render monochrome


def _still(app: HarnTuiApp) -> HarnTuiApp:
    """The default theme whatever $TEXTUAL_THEME says, and no animations."""
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


def _app(corpus: Corpus) -> HarnTuiApp:
    return _still(make_app(corpus.root, corpus.state_dir))


def _deploy(corpus: Corpus) -> RunInfo:
    """The richest run: 8 stages, HITL, compactions, an agent session and model turns."""
    return next(
        r for r in corpus.runs
        if r.workflow == "deploy" and r.status == "completed" and r.sidecar is not None
    )


def _parent(corpus: Corpus) -> RunInfo:
    """The review_captain run with three child runs (one file missing)."""
    return next(r for r in corpus.runs if any(c.parent_run_id == r.run_id for c in corpus.runs))


async def _settle(pilot: Pilot, corpus: Corpus | None) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    if corpus is not None:
        text = screen_text(pilot.app)
        assert str(corpus.root.parent) not in text, "a temporary path is on screen"


async def _loaded(pilot: Pilot) -> None:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and bool(app.screen.table.rows))
    await pilot.pause()


async def _open(pilot: Pilot, run_id: str) -> RunScreen:
    app = pilot.app
    await _loaded(pilot)
    table = app.screen.table
    table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run_id)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
    await pilot.pause()
    return app.screen


def run_list(corpus: Corpus) -> RunBefore:
    async def before(pilot: Pilot) -> None:
        await _loaded(pilot)
        await _settle(pilot, corpus)

    return before


def pane(corpus: Corpus, run: RunInfo, key: str, pane_id: str) -> RunBefore:
    async def before(pilot: Pilot) -> None:
        screen = await _open(pilot, run.run_id)
        await pilot.press(key)
        await wait_for(pilot, lambda: screen.query_one("#panes").active == f"pane-{pane_id}")
        await _settle(pilot, corpus)

    return before


PANES = [
    ("1", "stages", _deploy),
    ("2", "children", _parent),
    ("3", "hitl", _deploy),
    ("4", "compaction", _deploy),
    ("5", "replay", _deploy),
    ("6", "turns", _deploy),
]


@pytest.mark.parametrize("size", [BIG, SMALL], ids=["120x36", "80x24"])
def test_run_list(snap_compare, snap_corpus: Corpus, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(snap_corpus), terminal_size=size, run_before=run_list(snap_corpus))


@pytest.mark.parametrize(("key", "pane_id", "pick"), PANES, ids=[p[1] for p in PANES])
def test_detail_pane(snap_compare, snap_corpus: Corpus, key: str, pane_id: str, pick) -> None:  # type: ignore[no-untyped-def]
    before = pane(snap_corpus, pick(snap_corpus), key, pane_id)
    assert snap_compare(_app(snap_corpus), terminal_size=BIG, run_before=before)


def test_detail_stages_small(snap_compare, snap_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    before = pane(snap_corpus, _deploy(snap_corpus), "1", "stages")
    assert snap_compare(_app(snap_corpus), terminal_size=SMALL, run_before=before)


def test_stage_internals(snap_compare, snap_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    async def before(pilot: Pilot) -> None:
        await _open(pilot, _deploy(snap_corpus).run_id)
        await pilot.press("enter")  # the first stage
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, StageScreen))
        await _settle(pilot, snap_corpus)

    assert snap_compare(_app(snap_corpus), terminal_size=BIG, run_before=before)


def test_json_view(snap_compare, snap_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    async def before(pilot: Pilot) -> None:
        await _open(pilot, _deploy(snap_corpus).run_id)
        await pilot.press("R")  # the whole run
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JsonScreen))
        await _settle(pilot, snap_corpus)

    assert snap_compare(_app(snap_corpus), terminal_size=BIG, run_before=before)


def test_help(snap_compare, snap_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    async def before(pilot: Pilot) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await _settle(pilot, snap_corpus)

    assert snap_compare(_app(snap_corpus), terminal_size=BIG, run_before=before)


def test_empty_state(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert not MISSING_ROOT.exists()
    app = _still(make_app(MISSING_ROOT))

    async def before(pilot: Pilot) -> None:
        await wait_ready(pilot)
        assert isinstance(pilot.app.screen, EmptyScreen)
        await _settle(pilot, None)

    assert snap_compare(app, terminal_size=BIG, run_before=before)
