"""Pilot tests of the compaction lens pane (hosted in a minimal App + Screen) and its snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from uitools import APP_CSS, screen_text, wait_for, wait_for_text

from harn_tui.core.demo.common import BASE_MS
from harn_tui.core.demo.corpus import Corpus, RunInfo, write_corpus
from harn_tui.core.eventlog.attach import load_run_with_events
from harn_tui.core.eventlog.opener import open_event_log
from harn_tui.core.format.normalize import RunDetail, load_run
from harn_tui.messages import OpenText
from harn_tui.screens.text_view import TextScreen
from harn_tui.widgets.panes.compaction_lens import CompactionLens

SIZE = (120, 40)
HOSTILE = "\x1b]0;pwned\x07[bold red]x[/] \u202eevil"


class LensScreen(Screen[None]):
    def __init__(self, detail: RunDetail) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        yield CompactionLens(id="lens")
        yield Footer()

    def on_mount(self) -> None:
        pane = self.query_one(CompactionLens)
        pane.show(self.detail)
        pane.focus_main()


class Host(App[None]):
    """A minimal App: records the texts the pane asks to open (and opens them)."""

    CSS_PATH = APP_CSS

    def __init__(self, detail: RunDetail) -> None:
        super().__init__()
        self.detail = detail
        self.opened: list[tuple[str, str]] = []

    def on_mount(self) -> None:
        self.push_screen(LensScreen(self.detail))

    def on_open_text(self, message: OpenText) -> None:
        self.opened.append((message.title, message.text))
        self.push_screen(TextScreen(message.text, title=message.title))


@pytest.fixture(scope="module")
def lens_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    base = tmp_path_factory.mktemp("lens-ui")
    return write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", base_ms=BASE_MS)


def _deploy(corpus: Corpus) -> RunInfo:
    """8 stages, a manual compaction with a snapshot, a preflight and an auto one, a session."""
    return next(r for r in corpus.runs
                if r.workflow == "deploy" and r.status == "completed" and r.sidecar is not None)


def _detail(corpus: Corpus, run: RunInfo) -> RunDetail:
    log = open_event_log(corpus.backend, corpus.event_log_path)
    return load_run_with_events(run.path, root=corpus.root, event_log=log)


def _pane(app: App[Any]) -> CompactionLens:
    return app.screen.query_one(CompactionLens)


async def test_plot_list_and_diff_of_a_generated_run(lens_corpus: Corpus) -> None:
    detail = _detail(lens_corpus, _deploy(lens_corpus))
    app = Host(detail)
    async with app.run_test(size=SIZE) as pilot:
        text = await wait_for_text(pilot, "context size, tokens")
        pane = _pane(app)
        assert len(pane.events) == 4  # run preflight, plan manual, session auto, build auto
        assert pane.table.row_count == 4
        assert "⇊" in text and "stages 1 plan" in text
        modes = [p.mode for p in pane.events]
        assert modes == ["preflight", "manual", "auto", "auto"], "run, plan, plan (session), build"
        # the first row is the run transcript's preflight compaction: no snapshot, and it says why
        assert pane.diff is not None and not pane.diff.available
        assert "diff unavailable: no snapshot recorded" in text
        await pilot.press("d")
        await pilot.pause()
        assert app.opened == [] and isinstance(app.screen, LensScreen)
        # the manual one keeps a snapshot: its diff is previewed
        await pilot.press("j")
        await wait_for(pilot, lambda: pane.diff is not None and pane.diff.available)
        text = await wait_for_text(pilot, f"-{len(pane.diff.archived)} archived")
        assert f"+{len(pane.diff.added)} added" in text
        assert pane.events[1].snapshot_available
        # Enter opens the full diff as text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        title, body = app.opened[-1]
        assert title == "compaction diff · plan"
        assert body.count("\n- [") >= len(pane.diff.archived)
        assert "\n+ [" in body
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LensScreen))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        assert len(app.opened) == 2


async def test_run_without_compactions_says_so(lens_corpus: Corpus) -> None:
    run = next(r for r in lens_corpus.runs if r.workflow == "merge_captain" and r.status == "completed")
    detail = _detail(lens_corpus, run)
    app = Host(detail)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "No compactions in this run's transcripts or agent sessions.")
        assert _pane(app).table.row_count == 0
        assert _pane(app).selection() is None


def _hostile_run(tmp_path: Path) -> Path:
    messages = [{"role": "user", "content": HOSTILE}, {"role": "assistant", "content": "ok"}]
    transcript = {
        "_type": "transcript", "id": "t", "messages": [{"role": "user", "content": "summary"}],
        "events": [{"id": "c1", "kind": "compaction", "metadata": {
            "mode": "manual", "strategy": HOSTILE, "archived_messages": 2,
            "estimated_tokens_before": 900, "estimated_tokens_after": 100,
            "snapshot_asset_id": "s1"}}],
        "assets": [{"id": "s1", "data": {"messages": messages}}],
    }
    record = {"_type": "run_record", "id": "h", "workflow_id": "w", "status": "completed",
              "started_at": "2026-04-22T00:00:00Z",
              "stages": [{"id": "h:x:1", "node_id": HOSTILE, "status": "completed",
                          "started_at": "2026-04-22T00:00:00Z",
                          "usage": {"input_tokens": 500, "call_count": 1},
                          "transcript": transcript}]}
    path = tmp_path / "h.json"
    path.write_bytes(orjson.dumps(record))
    return path


async def test_hostile_text_renders_literally(tmp_path: Path) -> None:
    app = Host(load_run(_hostile_run(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        text = await wait_for_text(pilot, "archived")
        assert "[bold red]x[/]" in text
        assert "\\x1b]0;pwned\\x07" in text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        assert HOSTILE in app.opened[-1][1]  # the raw text goes to the text view, which escapes it
        shown = await wait_for_text(pilot, "[bold red]x[/]")
        assert "\x1b" not in shown and "\\x1b]0;pwned" in shown


def test_snapshot(snap_compare, lens_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    detail = _detail(lens_corpus, _deploy(lens_corpus))

    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LensScreen))
        await pilot.press("j")  # the manual compaction: its snapshot diff is shown
        await wait_for(pilot, lambda: bool(_pane(pilot.app).diff and _pane(pilot.app).diff.available))
        await pilot.pause()
        assert str(lens_corpus.root.parent) not in screen_text(pilot.app)

    app = Host(detail)
    app.animation_level = "none"
    assert snap_compare(app, terminal_size=SIZE, run_before=before)
