"""SVG snapshot of the HITL inbox (update with `--snapshot-update`).

Deterministic: the corpus has a fixed seed and `base_ms`, and the inbox's clock
(`core.format.clock`, which the ages count from) is frozen at that instant.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.core.demo.common import BASE_MS
from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.core.format import clock
from harn_tui.screens.inbox import InboxScreen


@pytest.fixture(scope="module")
def snap_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("inbox-snapshot")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", base_ms=BASE_MS)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "_source", lambda: BASE_MS)
    monkeypatch.setattr(clock, "_source", lambda: BASE_MS)


def test_inbox(snap_compare, snap_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    wins = snap_corpus.hitl_log_wins

    async def before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_ready(pilot)
        app.push_screen(InboxScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.loaded)
        screen = app.screen
        screen.inbox.cursor = next(i for i, r in enumerate(screen.rows) if r.request_id == wins["request_id"])
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        text = screen_text(app)
        assert str(snap_corpus.root.parent) not in text, "a temporary path is on screen"
        assert "1h ago" in text  # the frozen clock

    app = make_app(snap_corpus.root, snap_corpus.state_dir)
    app.animation_level = "none"
    assert snap_compare(app, terminal_size=(120, 36), run_before=before)
