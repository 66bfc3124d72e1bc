"""Pilot tests of the viewers: JsonScreen, TextScreen, StageScreen (with a minimal host app)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

import harn_tui
from harn_tui.core.format.normalize import load_run
from harn_tui.screens.json_view import JsonScreen, JsonTree
from harn_tui.screens.stage import ArtifactItem, SectionBody, StageScreen
from harn_tui.screens.text_view import TextLines, TextScreen

SIZE = (120, 36)
EVIL = "[bold red]x[/] \x1b]0;pwned\x07"
EVIL_SHOWN = "[bold red]x[/] \\x1b]0;pwned\\x07"


class Host(App[None]):
    """Pushes the screen under test; records the app-level hand-offs instead of doing them."""

    CSS_PATH = str(Path(harn_tui.__file__).parent / "harn_tui.tcss")  # the screens' layout

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.under_test = screen
        self.calls: list[tuple[Any, ...]] = []

    def on_mount(self) -> None:
        self.push_screen(self.under_test)

    def open_json(self, value: Any, title: str) -> None:
        self.calls.append(("open_json", title, value))

    def open_text(self, text: str, title: str) -> None:
        self.calls.append(("open_text", title, text))

    def copy_value(self, text: str) -> None:
        self.calls.append(("copy_value", text))

    def open_in_pager(self, target: Path | str) -> None:
        self.calls.append(("open_in_pager", target))


def run(screen: Screen[Any], body: Callable[[Host, Pilot[None]], Awaitable[None]]) -> Host:
    """Run `body` against a host app showing `screen`."""
    app = Host(screen)

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await body(app, pilot)

    asyncio.run(main())
    return app


def screen_text(app: App[Any]) -> str:
    """The current screen as plain text, as drawn."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until `condition()` holds."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never became true")


# -- JsonScreen -------------------------------------------------------------------


def test_json_big_list_expands_lazily_in_chunks() -> None:
    doc = {"items": list(range(50_000)), "name": "n"}

    async def body(app: Host, pilot: Pilot[None]) -> None:
        tree = app.screen.query_one(JsonTree)
        await pilot.press("j", "enter")
        items = tree.root.children[0]
        assert items.is_expanded
        assert len(items.children) == 501
        more = items.children[-1]
        assert more.data is not None and more.data.kind == "more"
        assert "49,500 more" in str(more.label)
        await pilot.pause()
        assert "[0] 0" in screen_text(app)
        tree.select(more)
        await pilot.press("enter")
        assert len(items.children) == 1001
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        assert tree.cursor_node.data.path == ("items", 500)

    run(JsonScreen(doc, "big"), body)


def test_json_search_finds_nested_value_and_title_shows_path() -> None:
    doc = {
        "stages": [
            {"attempts": []},
            {"attempts": []},
            {"attempts": [{"status": "failed", "error": "provider needle timeout"}]},
        ]
    }

    async def body(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, JsonScreen)
        tree = screen.query_one(JsonTree)
        await pilot.press("slash", *"NEEDLE", "enter")
        await until(pilot, lambda: bool(screen.matches))
        await pilot.pause()
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        assert tree.cursor_node.data.path == ("stages", 2, "attempts", 0, "error")
        assert "stages[2].attempts[0].error" in screen_text(app)
        await pilot.press("y")
        assert app.calls[-1] == ("copy_value", '"provider needle timeout"')

    run(JsonScreen(doc, "run.json"), body)


def test_json_copy_compact_pager_pretty_and_string_opens_text() -> None:
    long_text = "x" * 300 + EVIL
    doc = {"a": {"b": [1, True, None]}, "s": long_text}

    async def body(app: Host, pilot: Pilot[None]) -> None:
        await pilot.press("j", "y")
        assert app.calls[-1] == ("copy_value", '{"b":[1,true,null]}')
        await pilot.press("p")
        assert app.calls[-1] == ("open_in_pager", json.dumps(doc, indent=2))
        await pilot.press("j", "enter")
        assert app.calls[-1][0] == "open_text" and app.calls[-1][2] == long_text
        await pilot.pause()
        text = screen_text(app)
        assert f"({len(long_text)} chars, enter to open)" in text
        assert "\x1b" not in text

    run(JsonScreen(doc, "doc"), body)


def test_json_depth_cap_reroots_and_escape_goes_back() -> None:
    doc: dict[str, Any] = {}
    cur = doc
    for _ in range(80):
        cur["d"] = {}
        cur = cur["d"]
    cur["leaf"] = 1

    async def body(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, JsonScreen)
        tree = screen.query_one(JsonTree)
        node = tree.root
        for _ in range(64):
            node = tree.find_child(node, "d")  # type: ignore[assignment]
            assert node is not None
        tree.populate(node)
        node.expand()
        deep = node.children[0]
        assert deep.data is not None and deep.data.kind == "deep"
        tree.select(deep)
        await pilot.press("enter")
        assert screen.base == ("d",) * 64
        assert tree.root.data is not None and tree.root.data.depth == 0
        await pilot.press("escape")
        assert screen.base == ()
        assert app.screen is screen

    run(JsonScreen(doc, "deep"), body)


def test_json_from_file_loads_in_worker_and_reports_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"k": [1, 2, 3]}')
    bad = tmp_path / "bad.json"
    bad.write_text('{"k": [1, 2')

    async def ok(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, JsonScreen)
        await until(pilot, lambda: not screen.loading_file)
        assert screen.value == {"k": [1, 2, 3]}
        await pilot.pause()
        assert "k: […] 3 items" in screen_text(app)

    async def broken(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, JsonScreen)
        await until(pilot, lambda: not screen.loading_file)
        await pilot.pause()
        assert "truncated JSON" in screen_text(app)

    run(JsonScreen.from_file(good, "good.json"), ok)
    run(JsonScreen.from_file(bad, "bad.json"), broken)


# -- TextScreen -------------------------------------------------------------------


def test_text_screen_big_text_jumps_to_end_and_wraps() -> None:
    text = "\n".join(f"line {i:06d}" for i in range(100_000))

    async def body(app: Host, pilot: Pilot[None]) -> None:
        view = app.screen.query_one(TextLines)
        await until(pilot, lambda: view.ready)  # big texts are prepared in a worker thread
        assert view.count == 100_000
        await pilot.press("G")
        await pilot.pause()
        assert view.cursor == 99_999
        shown = screen_text(app)
        assert "line 099999" in shown and "line 000000" not in shown
        await pilot.press("g", "j", "j")
        assert view.cursor == 2
        await pilot.press("ctrl+d")
        assert view.cursor > 2
        await pilot.press("w")
        assert not view.wrap and view.line_at(view.cursor)[0] == view.cursor
        await pilot.press("y", "p")
        assert app.calls == [("copy_value", text), ("open_in_pager", text)]

    run(TextScreen(text, "big"), body)


def test_text_screen_escapes_control_characters_and_wraps_long_lines() -> None:
    text = "head " + EVIL + "\n" + "word " * 100

    async def body(app: Host, pilot: Pilot[None]) -> None:
        view = app.screen.query_one(TextLines)
        assert view.wrap and view.count > 2
        shown = screen_text(app)
        assert EVIL_SHOWN in shown
        assert "\x1b" not in shown and "\x1b" not in app.export_screenshot()

    run(TextScreen(text, "evil [b]title[/b]"), body)


# -- StageScreen ------------------------------------------------------------------


def _run_file(tmp_path: Path) -> Path:
    record = {
        "_type": "run_record",
        "id": "run-1",
        "workflow_id": "wf",
        "status": "failed",
        "started_at": "2026-04-22T00:00:00Z",
        "finished_at": "2026-04-22T00:00:05Z",
        "stages": [
            {
                "id": "run-1:plan:1",
                "node_id": "plan",
                "kind": "stage",
                "status": "completed",
                "outcome": "success",
                "started_at": "2026-04-22T00:00:00Z",
                "finished_at": "2026-04-22T00:00:02Z",
                "visible_text": "planned it",
            },
            {
                "id": "run-1:verify:2",
                "node_id": "verify",
                "kind": "verify",
                "status": "failed",
                "outcome": "verification_failed",
                "branch": "failed",
                "started_at": "2026-04-22T00:00:02Z",
                "finished_at": "2026-04-22T00:00:05Z",
                "visible_text": "Tests still fail",
                "verification": {"ok": False},
                "usage": {"input_tokens": 812, "output_tokens": 96, "call_count": 1},
                "artifacts": [
                    {
                        "_type": "artifact",
                        "id": "artifact_1",
                        "kind": "test_result",
                        "title": "pytest output",
                        "text": "3 failed, 9 passed",
                        "estimated_tokens": 5,
                    }
                ],
                "attempts": [
                    {"attempt": 1, "status": "failed", "outcome": "error", "error": "provider timeout"},
                    {"attempt": 2, "status": "failed", "outcome": "verification_failed", "error": "assert 1 == 2"},
                ],
                "transcript": {
                    "_type": "transcript",
                    "id": "t1",
                    "messages": [
                        {"role": "system", "content": "be careful"},
                        {"role": "user", "content": EVIL},
                        {
                            "role": "assistant",
                            "content": [
                                {"type": "text", "text": "running the tests"},
                                {"type": "tool_call", "name": "run_tests", "arguments": {"path": "tests/"}},
                            ],
                        },
                        {"role": "tool", "content": [{"type": "tool_result", "name": "run_tests", "content": "3 failed"}]},
                    ],
                    "events": [],
                },
                "metadata": {
                    "error": "verification failed",
                    "prompt": "Fix the tests " + EVIL,
                    "system_prompt": "You are a fixer. " * 400,
                    "retry_policy": {"max_attempts": 2},
                },
            },
        ],
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record))
    return path


def _all_static_text(screen: Screen[Any]) -> str:
    return "\n".join(str(widget.render()) for widget in screen.query(Static))


def test_stage_screen_renders_sections_safely(tmp_path: Path) -> None:
    detail = load_run(_run_file(tmp_path))

    async def body(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, StageScreen)
        text = _all_static_text(screen)
        for expected in (
            "verify",
            "verification_failed",
            "error: provider timeout",
            "error: assert 1 == 2",
            "test_result",
            "pytest output",
            "3 failed, 9 passed",
            "Fix the tests",
            "You are a fixer.",
            "o: open in full",
            "running the tests",
            "→ run_tests(" + '{"path":"tests/"})',
            "← run_tests: 3 failed",
            "assistant",
            "max_attempts",
        ):
            assert expected in text, expected
        assert text.count(EVIL_SHOWN) == 2  # the prompt and the user message
        assert "\x1b" not in text
        drawn = screen_text(app)
        assert EVIL_SHOWN in drawn and "\x1b" not in drawn
        assert "\x1b" not in app.export_screenshot()

    run(StageScreen(detail, 1), body)


def test_stage_screen_bindings(tmp_path: Path) -> None:
    detail = load_run(_run_file(tmp_path))

    async def body(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, StageScreen)
        assert isinstance(screen.focused, SectionBody)
        await pilot.press("o")
        assert app.calls[-1][0] == "open_text" and "provider timeout" in app.calls[-1][2]
        await pilot.press("p")
        assert app.calls[-1][0] == "open_in_pager"
        screen.query_one(ArtifactItem).focus()
        await pilot.press("r")
        assert app.calls[-1][0] == "open_json" and app.calls[-1][2]["id"] == "artifact_1"
        system = next(b for b in screen.query(SectionBody) if "system prompt" in b.section_title)
        system.focus()
        await pilot.press("o")
        assert app.calls[-1][2] == "You are a fixer. " * 400
        screen.set_focus(None)
        await pilot.press("r")
        assert app.calls[-1][0] == "open_json" and app.calls[-1][2]["id"] == "run-1:verify:2"
        await pilot.press("y")
        assert app.calls[-1] == ("copy_value", "run-1:verify:2")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert screen.index == 0
        text = _all_static_text(screen)
        assert "planned it" in text and "provider timeout" not in text
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.index == 1 and "provider timeout" in _all_static_text(screen)
        await pilot.press("escape")
        assert app.screen is not screen

    run(StageScreen(detail, 1), body)
