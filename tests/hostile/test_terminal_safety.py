"""Terminal safety under Pilot: escape and markup payloads in every field the UI shows.

A generated corpus (run files, sidecars, SQLite event log) has EVERY string value prefixed
with a payload carrying OSC 0/2/8/52, CSI moves and clears, DCS, 8-bit C1 controls, bidi
overrides, zero-width joiners and Rich markup incl. `[link=...]` and `[@click=app.quit]`.
File names and a sub-directory name carry payloads too. Every screen visited must show the
literal (escaped) text and never a raw control character; clicking the `[@click]` text
must not quit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hostiletools import (
    DEEP,
    EVIL,
    EVIL_PREFIX,
    assert_no_raw_controls,
    poison_corpus,
    read_only_proof,
    run_settled,
)
from textual.widgets import DataTable
from uitools import make_app, screen_text, wait_for, wait_ready

from harn_tui.core.demo.corpus import Corpus, write_corpus
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen
from harn_tui.screens.runs import RunsScreen
from harn_tui.screens.stage import StageScreen

SIZE = (160, 48)
#: A payload that fits in a file name (no "/").
NAME_PAYLOAD = "evil\x1b]0;PWNED\x07\x9b2J\u202e[@click=app.quit]Q[b]B"
ESCAPED_OSC = "\\x1b]0;PWNED\\x07"


def _evil_corpus(base: Path, *, keep_times: bool) -> Corpus:
    corpus = write_corpus(base / ".harn-runs", seed=3, state_dir=base / ".harn", include_broken=False)
    poison_corpus(corpus.root, corpus.state_dir, keep_times=keep_times)
    # file names and folder names carry payloads as well
    victim = corpus.runs[-1].path
    victim.rename(victim.with_name(NAME_PAYLOAD + ".json"))
    sub = corpus.root / ("dir" + NAME_PAYLOAD)
    sub.mkdir()
    shutil.copyfile(corpus.runs[0].path, sub / "copy.json")
    (corpus.root / (NAME_PAYLOAD + "-broken.json")).write_bytes(b'{"_type": "run_record", "id": ')
    return corpus


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return _evil_corpus(tmp_path_factory.mktemp("evil"), keep_times=True)


def check_screen(app, where: str) -> str:  # type: ignore[no-untyped-def]
    text = screen_text(app)
    assert_no_raw_controls(text, where)
    assert app.is_running, f"the app stopped on {where}"
    return text


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause()


async def test_run_list_shows_payloads_literally_and_click_markup_is_inert(evil: Corpus) -> None:
    app = make_app(evil.root, evil.state_dir)
    with read_only_proof(evil.root, evil.state_dir):
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await _loaded(pilot)
            text = check_screen(app, "run list")
            assert EVIL_PREFIX in text  # the markup is shown, not parsed
            assert ESCAPED_OSC in text  # the escape is shown as \x1b, not sent
            assert "evil\\x1b]0;PWNED\\x07\\x9b2J" in text  # the file name (cut to the column)
            # click exactly on the literal `[@click=app.quit]` text: nothing may happen
            lines = text.splitlines()
            y = next(i for i, ln in enumerate(lines) if EVIL_PREFIX in ln)
            x = lines[y].index(EVIL_PREFIX) + 3
            await pilot.click(offset=(x, y))
            await pilot.pause()
            assert app.is_running and isinstance(app.screen, (RunsScreen, RunScreen))
            if isinstance(app.screen, RunScreen):
                await pilot.press("escape")
            # the filter box echoes typed markup literally as well
            await pilot.press("slash", *"[b]x")
            await pilot.pause()
            check_screen(app, "filter")
            await pilot.press("escape")
            table = app.screen.table
            # raw JSON of a hostile-named file: its title is the path
            table.cursor = next(i for i, r in enumerate(table.rows) if r.path.startswith("evil"))
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
            await pilot.pause(0.3)
            text = check_screen(app, "raw json of a hostile-named file")
            assert "evil\\x1b]0;PWNED" in text
        assert app.return_code in (None, 0)


async def _visit_detail(pilot, index: int, seen: dict[str, bool], panes: set[str]) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    table = app.screen.table
    table.cursor = index
    run = table.rows[index]
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and run_settled(app.screen))
    await pilot.pause()
    screen = app.screen
    where = f"run {run.path}"
    text = check_screen(app, where)
    assert EVIL_PREFIX in text or ESCAPED_OSC in text
    for key, pane in zip("123456", ("stages", "children", "hitl", "compaction", "replay", "turns"), strict=True):
        if pane not in panes and not DEEP:
            continue  # switching panes costs ~1 s each under Pilot: visit the populated ones
        await pilot.press(key)
        if pane in ("replay", "turns"):  # walk the list: the detail follows
            await pilot.press("j", "j")
        await pilot.pause()
        text = check_screen(app, f"{where} pane {pane}")
        if pane in seen and (EVIL_PREFIX in text or ESCAPED_OSC in text):
            seen[pane] = True
    # a stage's internals: prompts, visible text, transcript messages, errors, metadata
    await pilot.press("1")
    await pilot.pause()
    stages = screen.query_one("#stages-table", DataTable)
    if stages.row_count:
        stages.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StageScreen))
        await pilot.pause()
        text = check_screen(app, f"{where} stage")
        assert EVIL_PREFIX in text or ESCAPED_OSC in text
        for _ in range(6 if DEEP else 2):
            await pilot.press("tab", "enter")
            await pilot.pause()
            check_screen(app, f"{where} stage sections")
        while app.screen is not screen:
            await pilot.press("escape")
            await pilot.pause()
    # the whole record as a JSON tree: the raw file, then the normalized record
    for key, view in (("R", "raw file"), ("J", "normalized record")):
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen) and not app.screen.loading_file)
        await pilot.pause(0.2)
        check_screen(app, f"{where} {view}")
        while app.screen is not screen:
            await pilot.press("escape")
            await pilot.pause()
    await pilot.press("escape")
    await pilot.pause()
    assert isinstance(app.screen, RunsScreen)


def _pick_runs(corpus: Corpus, rows: list) -> dict[int, set[str]]:  # type: ignore[type-arg]
    """Few runs that together reach every pane: sessions, HITL, turns, children, odd names."""
    from harn_tui.core.eventlog.attach import load_run_with_events
    from harn_tui.core.eventlog.sqlite import SqliteEventLog

    features: dict[int, set[str]] = {}
    with SqliteEventLog(corpus.event_log_path) as log:
        for i, row in enumerate(rows):
            if row.broken:
                continue
            detail = load_run_with_events(corpus.root / row.path, root=corpus.root, event_log=log)
            present = {
                "replay": bool(detail.agent_sessions),
                "hitl": bool(detail.normalized.get("hitl_questions")),
                "turns": bool(detail.model_turns),
                "children": bool(detail.normalized.get("child_runs")),
                "name": row.path.startswith(("evil", "dir")),
            }
            features[i] = {name for name, yes in present.items() if yes}
    if DEEP:
        return features
    # the fewest runs that reach every pane (greedy set cover)
    # (hostile file names are also proven on the run list and in the raw JSON title)
    todo = {"replay", "hitl", "turns", "children"}
    picked: dict[int, set[str]] = {}
    while todo:
        best = max(features, key=lambda i: len(features[i] & todo))
        assert features[best] & todo, f"no run has {todo}"
        picked[best] = features[best] & todo
        todo -= features[best]
    return picked


async def test_run_details_panes_stage_screen_and_json_are_safe(evil: Corpus) -> None:
    """Task, ids, stage node ids/errors/text/prompts, transcript messages, agent-event tool
    output (replay), HITL prompts, child tasks, model turns, paths: all literal."""
    app = make_app(evil.root, evil.state_dir)
    with read_only_proof(evil.root, evil.state_dir):
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await _loaded(pilot)
            picked = _pick_runs(evil, app.screen.table.rows)
            seen = {"children": False, "hitl": False, "replay": False, "turns": False}
            for index, panes in sorted(picked.items()):
                await _visit_detail(pilot, index, seen, panes)
            assert all(seen.values()), seen
            assert app.return_code in (None, 0)


async def test_regression_unparsed_timestamps_in_the_run_header(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    (root / "r.json").write_text(
        '{"_type":"run_record","id":"r","workflow_id":"w","status":"running",'
        f'"started_at":{_json(EVIL)},"finished_at":{_json(EVIL)}}}'
    )
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _loaded(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.pause()
        check_screen(app, "run header")


async def test_regression_broken_file_view_of_a_hostile_file_name(evil: Corpus) -> None:
    app = make_app(evil.root, evil.state_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _loaded(pilot)
        table = app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if r.broken and r.path.startswith("evil"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Broken run file" in screen_text(app))
        text = check_screen(app, "broken-file view")
        assert "evil\\x1b]0;PWNED" in text


def _json(value: str) -> str:
    import json

    return json.dumps(value)


async def test_portal_views_overview_costs_and_failures_are_safe(evil: Corpus) -> None:
    """The overview's every section, the costs screen and the failure jump show payloads literally."""
    from harn_tui.screens.costs import CostsScreen
    from harn_tui.screens.overview import OverviewScreen

    app = make_app(evil.root, evil.state_dir)
    with read_only_proof(evil.root, evil.state_dir):
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await _loaded(pilot)
            await pilot.press("dollar_sign")
            await wait_for(pilot, lambda: isinstance(app.screen, CostsScreen))
            await pilot.pause()
            text = check_screen(app, "costs")
            assert EVIL_PREFIX in text or ESCAPED_OSC in text  # model / workflow names
            await pilot.press("b", "b")
            await pilot.pause()
            check_screen(app, "costs by workflow")
            await pilot.press("escape")
            await pilot.pause()
            rows = app.screen.table.rows
            # statuses carry the payload too, so no run reads as failed: take one with sessions
            target = next(i for i, r in enumerate(rows) if not r.broken and r.session_ids)
            app.screen.table.cursor = target
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
            await pilot.pause()
            check_screen(app, "run opened")
            await pilot.press("e")
            await pilot.pause()
            check_screen(app, "failure jump")
            await pilot.press("O")
            await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
            for key in "1234567890":
                await pilot.press(key)
                await pilot.pause()
                text = check_screen(app, f"overview section {key}")
            await pilot.press("escape", "escape")
            await pilot.pause()
