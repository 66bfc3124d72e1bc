"""Pilot tests (and a snapshot) of the compare screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from textual.pilot import Pilot
from uitools import (
    compare_loaded,
    make_app,
    screen_text,
    tree_digest,
    wait_for,
    wait_for_text,
    wait_ready,
)

from harn_tui.core.analysis import compare as C
from harn_tui.core.demo.corpus import Corpus, RunInfo
from harn_tui.screens.compare import BaselinePicker, CompareScreen, DiffList, render_usage
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


def _deploys(corpus: Corpus) -> list[RunInfo]:
    """Deploy runs, newest first: completed with sidecar (-2h), failed (-5h), portal demo (-20h)."""
    runs = [r for r in corpus.runs if r.workflow == "deploy"]
    assert len(runs) == 3
    return runs


async def _ready(pilot: Pilot) -> None:
    app: Any = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))


async def _compare(pilot: Pilot, path: Path, baseline: Path | None = None) -> CompareScreen:
    app: Any = pilot.app
    await _ready(pilot)
    app.push_screen(CompareScreen(path, baseline))
    await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and compare_loaded(app.screen))
    await pilot.pause()
    return app.screen


async def test_default_baseline_divergence_jump_and_picking_another(corpus: Corpus) -> None:
    before = tree_digest(corpus.root, corpus.state_dir)
    current, previous, oldest = _deploys(corpus)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _compare(pilot, current.path)
        assert screen.a is not None and screen.b is not None and screen.comparison is not None
        assert screen.a.record.id == current.run_id
        assert screen.b.record.id == previous.run_id  # the previous deploy run by start time
        assert screen.a.agent_sessions and screen.b.agent_sessions  # the event log was attached
        text = screen_text(app)
        assert current.run_id[:30] in text and previous.run_id[:30] in text
        assert "baseline, previous run" in text
        div = screen.comparison.first_divergence
        assert div is not None
        assert "first divergence" in text and div.description[:40] in text
        stages = screen.query_one("#cmp-stage-list", DiffList)
        assert len(stages.rows) == len(screen.comparison.stage_diffs) > 0
        await pilot.press("d")
        await pilot.pause()
        section = {"stage": "stages", "tool": "tools", "turn": "turns"}[div.kind]
        assert screen.current_section() == section
        listing = screen.query_one(f"#cmp-{div.kind}-list", DiffList)
        assert listing.cursor == div.index and listing.has_focus
        assert div.description[:40] in screen_text(app)  # the detail box shows it
        # b: pick another baseline (the oldest deploy run); esc in the picker keeps it.
        first = screen.comparison
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BaselinePicker))
        picker = app.screen
        assert [r.id for r in picker.runs] == [previous.run_id, oldest.run_id]
        await pilot.press("j", "enter")
        await wait_for(pilot, lambda: screen.comparison is not first and compare_loaded(screen))
        await pilot.pause()
        assert app.screen is screen
        assert screen.b is not None and screen.b.record.id == oldest.run_id
        assert "baseline, picked" in screen_text(app)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BaselinePicker))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.b.record.id == oldest.run_id
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
    assert tree_digest(corpus.root, corpus.state_dir) == before


async def test_oldest_run_has_no_baseline(corpus: Corpus) -> None:
    *_, oldest = _deploys(corpus)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _compare(pilot, oldest.path)
        assert screen.b is None and screen.comparison is None
        await wait_for_text(pilot, "No earlier run of this workflow")
        await pilot.press("d")  # nothing to jump to: no crash
        await pilot.pause()
        await pilot.press("b")  # ...but a later run can still be picked
        await wait_for(pilot, lambda: isinstance(app.screen, BaselinePicker))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.comparison is not None and compare_loaded(screen))
        assert screen.b is not None and screen.b.record.id == _deploys(corpus)[0].run_id
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


async def test_sections_next_diff_raw_and_usage_colours(corpus: Corpus) -> None:
    current, previous, _ = _deploys(corpus)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _compare(pilot, current.path, previous.path)
        cmp = screen.comparison
        assert cmp is not None
        await pilot.press("2")
        await pilot.pause()
        assert screen.current_section() == "tools"
        tools = screen.query_one("#cmp-tool-list", DiffList)
        assert tools.has_focus and len(tools.rows) == len(cmp.tool_diffs)
        await pilot.press("n")
        await pilot.pause()
        expected = next(i for i, r in enumerate(cmp.tool_diffs) if i > 0 and r.differs)
        assert tools.cursor == expected
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        assert screen.current_section() == "usage"
        text = screen_text(app)
        d = cmp.usage_delta.input_tokens
        assert d.delta is not None and d.delta != 0
        assert f"{d.a:,}" in text and f"{d.b:,}" in text and f"{d.delta:+,}" in text
        # More than the baseline is red and signed +, less is green and signed −.
        rendered = render_usage(C.UsageDelta(C.Delta(150, 100), C.Delta(5, 9), C.Delta(1, 1),
                                             C.Delta(0.5, 0.25), C.Delta(1000, 4000)))
        styles = {rendered.plain[s.start:s.end].strip(): str(s.style) for s in rendered.spans}
        assert styles["+50"] == "bold red" and styles["-4"] == "bold green"
        assert styles["−3.0s"] == "bold green" and styles["+0.2500"] == "bold red"
        assert "+0" not in styles  # no change, no colour
        await pilot.press("4")
        await pilot.pause()
        assert screen.current_section() == "turns"
        assert screen.query_one("#cmp-turn-list", DiffList).rows


def _hostile_run(run_id: str, start: str, text: str) -> dict[str, Any]:
    return {
        "_type": "run_record", "id": run_id, "workflow_id": "evil[/]", "status": "completed",
        "started_at": start, "finished_at": start,
        "stages": [{"node_id": "[bold]x[/]", "status": "completed", "outcome": "success",
                    "started_at": start, "visible_text": text}],
        "tool_recordings": [{"tool_name": "[red]sh[/red]", "args_hash": "0123456789abcdef",
                             "result": text, "timestamp": "1790000000.5"}],
    }


async def test_hostile_text_renders_literally(tmp_path: Path) -> None:
    root = tmp_path / ".harn-runs"
    root.mkdir()
    (root / "old.json").write_bytes(orjson.dumps(
        _hostile_run("old", "2026-01-01T00:00:00Z", "fine\x1b]0;t\x07 [bold]b[/bold]")))
    (root / "new.json").write_bytes(orjson.dumps(
        _hostile_run("new", "2026-01-02T00:00:00Z", "pwned\x1b]0;t\x07 [link=x]y[/link]")))
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _compare(pilot, root / "new.json")
        assert screen.b is not None and screen.b.record.id == "old"
        text = screen_text(app)
        row = next(t for t in text.splitlines() if t.startswith("≠    1 "))  # the stage row
        assert "[bold]x[/]" in row
        assert text.count("[bold]x[/]") >= 2  # row and detail box
        assert "\\x1b]0;t\\x07" in text and "\x1b]0;t" not in text
        assert "[link=x]y[/link]" in text
        await pilot.press("2")
        await pilot.pause()
        text = screen_text(app)
        row = next(t for t in text.splitlines() if t.startswith("≠    1 "))  # the tool row
        assert "[red]sh[/red]" in row and "\\x1b]0;t\\x07" in row


def test_snapshot_compare(snap_compare, corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    current, _, _ = _deploys(corpus)
    app = make_app(corpus.root, corpus.state_dir)
    app.animation_level = "none"

    async def before(pilot: Pilot) -> None:
        await _compare(pilot, current.path)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert str(corpus.root.parent) not in screen_text(pilot.app)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


async def test_badges_are_explained_and_tool_rows_never_show_a_hash(corpus: Corpus) -> None:
    import re

    current, _previous, _oldest = _deploys(corpus)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _compare(pilot, current.path)
        text = screen_text(app)
        for meaning in ("≠ differs", "A only in A", "B only in B"):
            assert meaning in text
        await pilot.press("2")  # the tool calls section
        await pilot.pause()
        tools = screen.query_one("#cmp-tool-list", DiffList)
        from harn_tui.screens.compare import render_row

        hashes = {r.args for r in tools.rows if r.source == "recording" and r.args}
        rendered = [render_row("tool", r, 120).plain for r in tools.rows]
        rendered.append(screen.comparison.first_divergence.description)
        assert hashes
        for text in rendered:
            assert not any(h[:8] in text for h in hashes), text
            assert not re.search(r"\(#?[0-9a-f]{16}\)", text)
