"""SVG snapshots of the search screen (update with `--snapshot-update`).

Deterministic: a fixed-seed corpus at a fixed `base_ms`; the query's elapsed time (shown
in the status line) is frozen by stubbing the screen's clock.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.core.demo.common import BASE_MS
from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.core.format import clock
from harn_tui.screens import search as search_screen
from harn_tui.screens.search import SearchScreen


@pytest.fixture(scope="module")
def snap_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("search-snapshot")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", base_ms=BASE_MS)


class _FrozenClock:
    @staticmethod
    def perf_counter() -> float:
        return 0.0


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_screen, "time", _FrozenClock)
    monkeypatch.setattr(clock, "_source", lambda: BASE_MS)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_search_screen(snap_compare, snap_corpus: Corpus, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_ready(pilot)
        await wait_for(pilot, app.search_ready.is_set)
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        for key in ["quotation_mark", *"mismatched", "space", *"types", "quotation_mark"]:
            await pilot.press(key)
        await wait_for(pilot, lambda: bool(screen.hits) and screen.query_one("Input").value
                       == '"mismatched types"')
        # focus stays in the input (enter would open the hit); down moves the highlight
        await pilot.press("down")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert str(snap_corpus.root.parent) not in screen_text(app)

    app = make_app(snap_corpus.root, snap_corpus.state_dir)
    app.theme = "textual-dark"
    app.animation_level = "none"
    assert snap_compare(app, terminal_size=size, run_before=before)
