"""Pilot tests of the Replay and Turns panes hosted on a bare screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Select, Static
from uitools import APP_CSS, screen_text, wait_for

from harn_tui.core.eventlog.sessions import SessionEvent
from harn_tui.core.format.normalize import RunDetail, load_run
from harn_tui.core.format.sidecar import model_turns
from harn_tui.messages import Copy, OpenJson, OpenText
from harn_tui.widgets.panes.replay import ReplayPane
from harn_tui.widgets.panes.turns import TurnsPane

pytestmark = pytest.mark.anyio
SIZE = (140, 30)
HOSTILE = "[bold red]x[/] \x1b[2J"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


RUN = {
    "_type": "run_record",
    "id": "run-replay",
    "workflow_id": "wf",
    "workflow_name": "replay_test",
    "task": "replay",
    "status": "completed",
    "started_at": "2026-04-22T00:00:00Z",
    "finished_at": "2026-04-22T00:00:01Z",
    "stages": [],
}

SIDECAR = [
    {"type": "system_prompt", "timestamp": "1714460000.120", "span_id": 3, "hash": 1, "content": "Be helpful"},
    {"type": "message", "timestamp": "1714460000.121", "iteration": 1, "role": "user", "content": "Do X",
     "tool_calls": None, "tool_call_id": None, "name": None},
    {"type": "provider_call_request", "call_id": "call-1", "iteration": 1, "model": "mock", "provider": "mock",
     "timestamp": "1714460000.122", "span_id": 4},
    {"type": "provider_call_response", "call_id": "call-1", "iteration": 1, "model": "mock", "text": "Done",
     "input_tokens": 10, "output_tokens": 4, "tool_calls": [{"name": "read", "arguments": {"path": "a"}}],
     "thinking": "pondering", "timestamp": "1714460001.010", "span_id": 4},
]


def sev(event_id: int, at: int, event: Any) -> SessionEvent:
    kind = event.get("type", "") if isinstance(event, dict) else "garbled"
    return SessionEvent(event_id, at, event, kind)


def session_events() -> list[SessionEvent]:
    base = 1_776_945_600_000
    raw: list[dict[str, Any]] = [
        {"type": "agent_message_chunk", "session_id": "s1", "content": "Hello "},
        {"type": "agent_message_chunk", "session_id": "s1", "content": HOSTILE},
        {"type": "turn_start", "session_id": "s1", "iteration": 1},
        {"type": "tool_call", "session_id": "s1", "tool_call_id": "tc1", "tool_name": "read_file",
         "kind": "read", "status": "pending", "raw_input": {"path": "src/main.rs"}},
        {"type": "tool_call_update", "session_id": "s1", "tool_call_id": "tc1", "tool_name": "read_file",
         "status": "completed", "raw_output": "fn main() {}", "error": None, "duration_ms": 41},
        {"type": "agent_thought_chunk", "session_id": "s1", "content": "thinking hard"},
        {"type": "tool_call", "session_id": "s1", "tool_call_id": "tc2", "tool_name": "run_shell",
         "kind": "execute", "status": "pending", "raw_input": {"cmd": "make"}},
        {"type": "tool_call_update", "session_id": "s1", "tool_call_id": "tc2", "tool_name": "run_shell",
         "status": "failed", "raw_output": None, "error": "exit status 2", "duration_ms": 900},
        {"type": "hitl_requested", "session_id": "s1", "request_id": "h1", "kind": "approval", "payload": {}},
        {"type": "mystery_event", "session_id": "s1", "secret_field": "zebra-42"},
        {"type": "turn_end", "session_id": "s1", "iteration": 1, "turn_info": None},
    ]
    return [sev(i + 1, base + i * 10, e) for i, e in enumerate(raw)]


# rows: 0 chunks(1,2) 1 turn 2 call tc1 3 update tc1 4 thought 5 call tc2 6 update tc2 (error)
#       7 hitl 8 mystery 9 turn_end


def make_detail(tmp_path: Path, *, sidecar: bool = True) -> RunDetail:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(RUN))
    detail = load_run(path)
    detail.agent_sessions = {
        "s1": session_events(),
        "s2": [sev(1, 5, {"type": "turn_start", "session_id": "s2", "iteration": 1}),
               sev(2, 6, {"type": "turn_end", "session_id": "s2", "iteration": 1})],
    }
    detail.model_turns = model_turns(SIDECAR) if sidecar else []
    return detail


class PaneScreen(Screen[None]):
    def __init__(self, pane: Any) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


class Host(App[None]):
    """A minimal App: records the raw-view, text-view and copy messages the pane posts."""

    CSS_PATH = APP_CSS

    def __init__(self, pane: Any) -> None:
        super().__init__()
        self.pane = pane
        self.calls: list[tuple[str, Any, str]] = []

    def on_mount(self) -> None:
        self.push_screen(PaneScreen(self.pane))

    def on_open_json(self, message: OpenJson) -> None:
        self.calls.append(("json", message.value, message.title))

    def on_open_text(self, message: OpenText) -> None:
        self.calls.append(("text", message.text, message.title))

    def on_copy(self, message: Copy) -> None:
        self.calls.append(("copy", message.text, ""))


async def started(pilot: Any, pane: Any, detail: RunDetail) -> None:
    await pilot.pause()
    pane.show(detail)
    pane.focus_main()
    await pilot.pause()


def detail_plain(pane: ReplayPane) -> str:
    row = pane.current_row()
    assert row is not None
    return pane.detail_text(row).plain


async def test_navigation_tool_error_hitl(tmp_path: Path) -> None:
    pane = ReplayPane(id="replay")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        timeline = pane.timeline
        assert len(pane.rows) == 10
        assert timeline.cursor == 0
        await pilot.press("n")
        assert timeline.cursor == 2
        assert "read_file" in detail_plain(pane)
        assert '"path": "src/main.rs"' in detail_plain(pane)
        await pilot.press("n")
        assert timeline.cursor == 5
        await pilot.press("N")
        assert timeline.cursor == 2
        await pilot.press("e")
        assert timeline.cursor == 6
        assert "exit status 2" in detail_plain(pane)
        await pilot.press("h")
        assert timeline.cursor == 7
        await pilot.press("j")
        assert timeline.cursor == 8
        plain = detail_plain(pane)
        assert "raw event JSON" in plain
        assert '"secret_field": "zebra-42"' in plain
        await pilot.pause()
        assert "zebra-42" in screen_text(app)
        await pilot.press("r")
        assert app.calls[-1][0] == "json"
        assert app.calls[-1][1]["type"] == "mystery_event"
        await pilot.press("y")
        assert app.calls[-1][0] == "copy"
        assert json.loads(app.calls[-1][1])["secret_field"] == "zebra-42"
        pane.follow()
        assert timeline.cursor == 9


async def test_hostile_text_renders_literally(tmp_path: Path) -> None:
    pane = ReplayPane(id="replay")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        assert pane.timeline.cursor == 0
        assert pane.rows[0].indexes == [0, 1]
        assert "Hello [bold red]x[/] \\x1b[2J" in detail_plain(pane)
        text = screen_text(app)
        assert "[bold red]x[/]" in text
        assert "\\x1b[2J" in text
        svg = app.export_screenshot().replace("&#160;", " ")
        assert "[bold red]x[/]" in svg
        assert "\\x1b[2J" in svg
        assert "\x1b" not in svg
        assert "×2" in text  # the coalesced row says how many chunks it holds


async def test_play_advances_and_speed(tmp_path: Path) -> None:
    pane = ReplayPane(id="replay")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        status = pane.query_one("#replay-status", Static)
        await pilot.press("plus", "plus")
        assert pane.speed == 4.0
        await pilot.press("minus")
        assert pane.speed == 2.0
        assert pane.next_delay() == pytest.approx(0.020 / 2.0)  # row 0 → row 1 is 20 ms
        pane.rows[1].occurred_at_ms += 60_000  # type: ignore[operator]
        assert pane.next_delay() == pytest.approx(2.0 / 2.0)  # real gap capped at 2 s
        pane.rows[1].occurred_at_ms -= 60_000  # type: ignore[operator]
        await pilot.press("minus", "minus", "minus", "minus")
        assert pane.speed == 0.25  # clamped at the slowest speed; rows are 80 ms apart now
        await pilot.press("space")
        assert pane.playing
        assert "playing 0.25x" in str(status.render())
        await wait_for(pilot, lambda: pane.timeline.cursor >= 2, timeout=5)
        await pilot.press("space")
        assert not pane.playing
        stopped_at = pane.timeline.cursor
        assert stopped_at < len(pane.rows) - 1
        await pilot.pause(0.3)
        assert pane.timeline.cursor == stopped_at
        assert "paused" in str(status.render())
        # playing to the end stops by itself
        await pilot.press(*["plus"] * 7)
        assert pane.speed == 16.0
        await pilot.press("space")
        await wait_for(pilot, lambda: not pane.playing, timeout=5)
        assert pane.timeline.cursor == len(pane.rows) - 1


async def test_live_update_keeps_session_and_cursor(tmp_path: Path) -> None:
    pane = ReplayPane(id="replay")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        detail = make_detail(tmp_path)
        await started(pilot, pane, detail)
        select = pane.query_one("#replay-session", Select)
        select.value = "s2"
        await pilot.pause()
        assert pane.session == "s2"
        assert len(pane.rows) == 2
        await pilot.press("j")
        assert pane.timeline.cursor == 1
        # more events arrive (one before the selected row's event id in order, one after)
        grown = make_detail(tmp_path)
        grown.agent_sessions["s2"] = [
            sev(0, 4, {"type": "plan", "session_id": "s2", "plan": []}),
            *detail.agent_sessions["s2"],
            sev(3, 7, {"type": "session_closed", "session_id": "s2", "status": "completed"}),
        ]
        pane.show(grown)
        await pilot.pause()
        assert pane.session == "s2"
        assert select.value == "s2"
        assert len(pane.rows) == 4
        assert pane.timeline.cursor == 2
        assert pane.current_row().key == 2  # type: ignore[union-attr]
        # an unrelated reload without the session falls back to the first one
        gone = make_detail(tmp_path)
        del gone.agent_sessions["s2"]
        pane.show(gone)
        await pilot.pause()
        assert pane.session == "s1"


async def test_no_sessions_message(tmp_path: Path) -> None:
    pane = ReplayPane(id="replay")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        detail = make_detail(tmp_path)
        detail.agent_sessions = {}
        detail.event_log_error = "no event log [red]found[/]"
        await started(pilot, pane, detail)
        text = screen_text(app)
        assert "No agent sessions linked to this run" in text
        assert "no event log [red]found[/]" in text
        await pilot.press("n", "space", "r")
        assert not pane.playing and not app.calls


async def test_turns_pane(tmp_path: Path) -> None:
    pane = TurnsPane(id="turns")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path))
        text = screen_text(app)
        assert "#1" in text and "mock" in text
        assert "Be helpful" in text and "Do X" in text and "Done" in text
        assert "pondering" in text
        await pilot.press("r")
        assert app.calls[-1][0] == "json" and app.calls[-1][1]["call_id"] == "call-1"
        await pilot.press("o")
        assert app.calls[-1][0] == "text" and "Response" in app.calls[-1][1]
        await pilot.press("y")
        assert app.calls[-1] == ("copy", "Done", "")


async def test_turns_pane_without_sidecar(tmp_path: Path) -> None:
    pane = TurnsPane(id="turns")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, make_detail(tmp_path, sidecar=False))
        text = screen_text(app)
        assert "No model turns: this run has no sidecar" in text
        assert "llm_transcript.jsonl" in text


async def test_rows_built_by_the_loader_are_used_not_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run screen's worker builds replay rows (seconds for 1M events): the pane uses
    them on the UI thread instead of building the timeline again; stale ones are rebuilt."""
    import harn_tui.widgets.panes.replay as replay_module
    from harn_tui.core.analysis.timeline import build_timeline

    detail = make_detail(tmp_path)
    detail.session_rows = {sid: build_timeline(ev) for sid, ev in detail.agent_sessions.items()}
    built: list[int] = []

    def counting(events: Any) -> Any:
        built.append(len(events))
        return build_timeline(events)

    monkeypatch.setattr(replay_module, "build_timeline", counting)
    pane = ReplayPane(id="replay")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, detail)
        assert built == [] and pane.rows is detail.session_rows["s1"]
        detail.session_rows["s1"] = detail.session_rows["s1"][:3]  # no longer covers the events
        pane.show(detail)
        assert built == [len(detail.agent_sessions["s1"])] and len(pane.rows) == 10


async def test_detail_of_a_coalesced_row_names_first_and_last_event(tmp_path: Path) -> None:
    detail = make_detail(tmp_path)
    chunks = [sev(i, i, {"type": "agent_message_chunk", "session_id": "s3", "content": f"c{i} "})
              for i in range(1, 2001)]
    detail.agent_sessions = {"s3": chunks}
    pane = ReplayPane(id="replay")
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, pane, detail)
        assert len(pane.rows) == 1
        assert "1…2000 (2000 chunks)" in detail_plain(pane)
