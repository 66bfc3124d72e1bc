"""The search screen: results as you type, the jump to each kind of location, n/N, find-in-pane."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable
from uitools import make_app, screen_text, wait_for, wait_for_text

from harn_tui.core.demo.corpus import Corpus
from harn_tui.core.search.engine import search
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.run import RunScreen
from harn_tui.screens.search import SearchScreen


def _record(run_id: str, started: str, word: str) -> dict[str, Any]:
    return {
        "_type": "run_record",
        "id": run_id,
        "workflow_id": "deploy",
        "workflow_name": "deploy",
        "status": "failed",
        "started_at": started,
        "stages": [
            {"id": "s0", "node_id": "plan", "status": "completed", "metadata": {"prompt": "plan it"}},
            {"id": "s1", "node_id": "build", "status": "failed",
             "metadata": {"prompt": f"Build the {word} canary release"},
             "attempts": [{"error": "permission denied on /var/run"}]},
        ],
        "tool_recordings": [
            {"tool_name": "bash", "arguments": {"cmd": "git push"},
             "result": f"remote rejected: hook declined the {word} flamingo"},
        ],
        "hitl_questions": [
            {"request_id": "q0", "prompt": "first question"},
            {"request_id": "q1", "prompt": f"Ship the {word} lighthouse?"},
        ],
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "runs"
    r.mkdir()
    (r / "a.json").write_text(json.dumps(_record("run-a", "2026-11-20T10:00:00Z", "alpha")))
    (r / "b.json").write_text(json.dumps(_record("run-b", "2026-11-21T10:00:00Z", "beta")))
    side = r / "b-llm" / "llm_transcript.jsonl"
    side.parent.mkdir()
    lines = [
        {"type": "provider_call_request", "call_id": "c1", "model": "m"},
        {"type": "provider_call_response", "call_id": "c1", "text": "first answer"},
        {"type": "provider_call_request", "call_id": "c2", "model": "m"},
        {"type": "provider_call_response", "call_id": "c2", "text": "a quokka appears"},
    ]
    side.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return r


async def _search(pilot: Any, text: str) -> SearchScreen:
    app = pilot.app
    await wait_for(pilot, lambda: app.load.scanned and app.search_ready.is_set())
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
    screen = app.screen
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await wait_for(pilot, lambda: screen.hits and screen.query_one("Input").value == text)
    return screen


async def _open_first(pilot: Any, screen: SearchScreen) -> RunScreen:
    assert screen.query_one("Input").has_focus
    await pilot.press("enter")  # one enter, from the input, opens the highlighted (first) hit
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.landed)
    return app.screen  # type: ignore[return-value]


def _cursor(run: RunScreen, pane: str) -> int:
    return run.query_one(f"#{pane}").query(DataTable).first().cursor_row


async def test_results_as_you_type_grouped_newest_first(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, "canary")
        assert [h.run_id for h in screen.hits] == ["run-b", "run-a"]
        text = screen_text(app)
        assert text.index("run-b") < text.index("run-a")
        assert "stage 2 › prompt" in text and "2 hits in 2 runs" in text


async def test_enter_lands_on_the_stage(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, "canary")
        run = await _open_first(pilot, screen)
        assert run.landed == "stages" and _cursor(run, "stages") == 1
        assert run.path.name == "b.json"
        banner = run.hit_banner
        assert "canary" in banner.plain and "hit 1/2" in banner.plain
        assert "hit 1/2" in screen_text(app)
        spans = [banner.plain[s.start:s.end] for s in banner.spans if "reverse" in str(s.style)]
        assert spans == ["canary"]  # the match is highlighted


async def test_enter_lands_on_the_hitl_question(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        run = await _open_first(pilot, await _search(pilot, "lighthouse"))
        assert run.landed == "hitl" and _cursor(run, "hitl") == 1


async def test_enter_lands_on_the_model_turn(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        run = await _open_first(pilot, await _search(pilot, "quokka"))
        assert run.landed == "turns"
        assert run.query_one("#turns").turn_list.cursor == 1  # type: ignore[attr-defined]


async def test_enter_opens_the_json_node_of_a_tool_result(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, "flamingo")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
        tree = app.screen.tree  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: tree.cursor_node is not None
                       and tree.cursor_node.data is not None
                       and tree.cursor_node.data.path == ("tool_recordings", 0, "result"))
        assert screen.hits[0].field == "tool"
        await wait_for(pilot, lambda: hasattr(app.screen, "hit_note"))
        note = app.screen.hit_note  # type: ignore[attr-defined]
        assert [note.plain[s.start:s.end] for s in note.spans if "reverse" in str(s.style)] == [
            "flamingo"]
        label = tree.cursor_node.label
        assert any("reverse" in str(s.style) for s in label.spans)  # the node shows the match


async def test_n_and_N_step_through_hits_across_runs(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, "canary")
        await pilot.press("tab")  # to the results list, where n/N are keys, not text
        assert screen.table.has_focus and screen.current_hit() == 0
        await pilot.press("n")
        assert screen.current_hit() == 1
        await pilot.press("n")
        assert screen.current_hit() == 0  # wraps
        await pilot.press("N")
        assert screen.current_hit() == 1
        await pilot.press("N")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.landed)
        run = app.screen
        assert run.path.name == "b.json"
        await pilot.press("n")  # the next hit is in the other run
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen)
                       and app.screen.path.name == "a.json" and app.screen.landed)
        assert app.screen.hit_index == 1  # type: ignore[attr-defined]
        assert "hit 2/2" in app.screen.hit_banner.plain  # type: ignore[attr-defined]


async def test_replay_event_hit_lands_on_the_event(corpus: Corpus) -> None:
    hits = [h for h in search(corpus.root, "*e*", cache_dir=None,
                              log=_log(corpus), limit=4000).hits
            if h.location.source == "event" and h.path and not h.path.startswith("events:")]
    assert hits, "the corpus has agent events linked to runs"
    hit = hits[0]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.load.ready)
        app.push_screen(RunScreen(corpus.root / hit.path, hits=[hit], hit_index=0))
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.landed)
        run = app.screen
        assert run.landed == "replay"
        replay: Any = run.query_one("#replay")
        row = replay.rows[replay.timeline.cursor]
        assert hit.location.event_id in [replay.events[i].event_id for i in row.indexes]


def _log(corpus: Corpus) -> Any:
    from harn_tui.core.eventlog.sqlite import SqliteEventLog

    return SqliteEventLog(corpus.event_log_path)


async def test_slash_finds_text_in_the_pane(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.load.scanned)
        app.push_screen(RunScreen(root / "a.json"))
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail)
        run = app.screen
        await pilot.press("slash")
        for ch in "build":
            await pilot.press(ch)
        await pilot.press("enter")
        assert _cursor(run, "stages") == 1  # type: ignore[arg-type]
        await pilot.press("3", "slash", "l", "i", "g", "h", "t", "enter")
        assert _cursor(run, "hitl") == 1  # type: ignore[arg-type]


async def test_query_bar_accepts_text_terms(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.load.scanned)
        await pilot.press("colon")
        for ch in 'text~"beta flam"':
            await pilot.press({" ": "space", '"': "quotation_mark", "~": "tilde"}.get(ch, ch))
        await wait_for_text(pilot, "1 of 2 shown")
        text = screen_text(app)
        assert "run-b" in text and "run-a" not in text


async def test_watcher_changes_reach_the_index_and_the_open_search(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, "canary")
        assert len(screen.hits) == 2
        await pilot.press("tab", "n")
        assert screen.hits[screen.current_hit()].run_id == "run-a"
        rec = _record("run-c", "2026-11-22T10:00:00Z", "gamma")
        (root / "c.json").write_text(json.dumps(rec))
        app.search_update({root / "c.json"})  # what live._apply does for the watcher's batch
        await wait_for(pilot, lambda: len(screen.hits) == 3)
        assert screen.hits[0].run_id == "run-c"  # newest first
        assert screen.hits[screen.current_hit()].run_id == "run-a"  # the cursor kept its hit
        (root / "c.json").unlink()
        app.search_update({root / "c.json"})
        await wait_for(pilot, lambda: len(screen.hits) == 2)


async def test_reachable_from_every_screen_help_and_palette(root: Path) -> None:
    from harn_tui.screens.help import HelpScreen, help_sections
    from harn_tui.screens.inbox import InboxScreen

    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.load.scanned)
        assert ("ctrl+f", "Search all runs") in [
            (k.replace("^", "ctrl+").lower(), d)
            for _section, rows in help_sections(app.screen) for k, d in rows]
        for opener in (lambda: app.push_screen(RunScreen(root / "a.json")),
                       lambda: app.push_screen(InboxScreen()),
                       lambda: app.push_screen(HelpScreen(app.screen))):
            opener()
            await pilot.pause()
            await pilot.press("ctrl+f")
            await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
            await pilot.press("escape")
            await pilot.pause()
            while len(app.screen_stack) > 2:
                app.pop_screen()
                await pilot.pause()
        from harn_tui.commands import RunCommands

        names = [name for name, _cb, _help in RunCommands(app.screen)._commands()]
        assert "Search all runs…" in names



async def _type(pilot: Any, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


async def test_one_enter_from_the_input_opens_the_hit_on_its_pane_and_row(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, "lighthouse")
        assert screen.query_one("Input").has_focus
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.landed)
        run = app.screen
        assert run.path.name == "b.json"  # type: ignore[attr-defined]
        assert run.landed == "hitl" and _cursor(run, "hitl") == 1  # type: ignore[arg-type]
        assert run.hit_index == 0  # type: ignore[attr-defined]


async def test_down_down_enter_from_the_input_opens_the_third_hit(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, "the")  # stage prompt, tool result, HITL prompt in each run
        assert len(screen.hits) == 6
        await pilot.press("down", "down")
        box = screen.query_one("Input")
        assert box.has_focus and box.value == "the"  # the highlight moved, the input kept focus
        assert screen.current_hit() == 2
        await pilot.press("up")
        assert screen.current_hit() == 1
        await pilot.press("down")
        third = screen.hits[2]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not screen and bool(
            getattr(app.screen, "landed", "") or getattr(app.screen, "hit_note", None)))
        # the run (a JSON view may sit on top of it)
        opened = next(s for s in app.screen_stack if isinstance(s, RunScreen))
        assert opened.hit_index == 2 and opened.hits[2] is third
        assert opened.path == root / third.path


async def test_enter_before_the_results_arrive_opens_the_first_hit_when_they_do(
        root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.load.scanned and app.search_ready.is_set())
        gate = threading.Event()
        real = app.search_hits

        def held(*args: Any, **kwargs: Any) -> list[Any]:
            gate.wait(10)
            return real(*args, **kwargs)

        app.search_hits = held  # type: ignore[method-assign]
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await _type(pilot, "lighthouse")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and not screen.hits  # nothing to open yet
        assert "first hit opens when it arrives" in screen_text(app)
        gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.landed)
        run = app.screen
        assert run.landed == "hitl" and run.hit_index == 0  # type: ignore[attr-defined]
        assert run.path.name == "b.json"  # type: ignore[attr-defined]


async def test_enter_before_the_results_of_a_query_without_hits_says_so(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.load.scanned and app.search_ready.is_set())
        gate = threading.Event()
        real = app.search_hits

        def held(*args: Any, **kwargs: Any) -> list[Any]:
            gate.wait(10)
            return real(*args, **kwargs)

        app.search_hits = held  # type: ignore[method-assign]
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await _type(pilot, "zebrafish")
        await pilot.press("enter")
        gate.set()
        await wait_for_text(pilot, "no hit to open for 'zebrafish'")
        assert app.screen is screen and screen.query_one("Input").has_focus
        await pilot.press("enter")  # again, with the (empty) results in: still says so
        await wait_for_text(pilot, "no hit to open")
        assert app.screen is screen


async def test_a_catastrophic_regex_is_stopped_and_the_screen_stays_responsive(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.worker import WorkerState

    from harn_tui.screens import search as search_screen

    monkeypatch.setattr(search_screen, "REGEX_SECONDS", 0.5)
    rec = _record("run-c", "2026-11-22T10:00:00Z", "gamma")
    rec["task"] = "a" * 40 + "b"  # (a+)+$ backtracks 2^40 ways on this
    (root / "c.json").write_text(json.dumps(rec))
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.load.scanned and app.search_ready.is_set())
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await pilot.press("ctrl+r")
        await _type(pilot, "(a+)+$")
        box = screen.query_one("Input")
        assert box.value == "(a+)+$" and not screen.hits  # a regex runs on enter only
        await pilot.press("enter")
        await pilot.press("left")  # handled while the pattern runs in its child process
        assert box.cursor_position == len("(a+)+$") - 1
        assert any(w.group == "search-query" and w.state == WorkerState.RUNNING
                   for w in screen.workers)
        assert "running the regular expression" in screen_text(app)
        await wait_for_text(pilot, "regular expression stopped after 0.5s")
        assert app.screen is screen
        await pilot.press("end", "ctrl+u")  # a normal query afterwards still works
        await _type(pilot, "can.ry")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(screen.hits) == 3 and screen.shown == ("can.ry", True))
        assert "stopped" not in screen_text(app)
        await pilot.press("ctrl+r")  # and a plain search, as you type
        await wait_for(pilot, lambda: screen.shown == ("can.ry", False))
        await pilot.press("ctrl+u")
        await _type(pilot, "lighthouse")
        await wait_for(pilot, lambda: len(screen.hits) == 3 and screen.shown == ("lighthouse", False))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.landed)
        assert app.screen.landed == "hitl"  # type: ignore[attr-defined]


async def test_the_demo_tool_result_phrase_lands_on_that_tool_call(tmp_path: Path) -> None:
    """Tried as a new user on the demo: a phrase said only inside one tool result finds that
    run alone, and one Enter opens that tool call's result with the phrase highlighted."""
    from harn_tui.core.demo.corpus import TOOL_RESULT_PHRASE, write_demo

    demo = write_demo(tmp_path / "demo", seed=0)
    assert demo.tool_result_phrase is not None
    run_id, index = demo.tool_result_phrase
    app = make_app(demo.root, demo.state_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _search(pilot, TOOL_RESULT_PHRASE)
        assert {h.run_id for h in screen.hits} == {run_id}
        assert screen.hits[0].field == "tool"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen))
        tree = app.screen.tree  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: tree.cursor_node is not None
                       and tree.cursor_node.data is not None
                       and tree.cursor_node.data.path == ("tool_recordings", index, "result"))
        await wait_for(pilot, lambda: hasattr(app.screen, "hit_note"))
        note = app.screen.hit_note  # type: ignore[attr-defined]
        marked = [note.plain[s.start:s.end] for s in note.spans if "reverse" in str(s.style)]
        assert " ".join(marked) == TOOL_RESULT_PHRASE  # its words, each highlighted
