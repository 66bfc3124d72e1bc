"""Panes ask for screens and hand-offs with messages (harn_tui/messages.py), never by
calling the App: each pane here runs in a bare App that only records what it receives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from uitools import APP_CSS, wait_for, wait_ready

import harn_tui
from harn_tui.app import HarnTuiApp
from harn_tui.core.format.normalize import load_run
from harn_tui.messages import Copy, OpenJson, OpenRun, OpenStage, OpenText
from harn_tui.widgets.panes.children import ChildrenPane
from harn_tui.widgets.panes.hitl import HitlPane
from harn_tui.widgets.panes.pane import Pane, PaneContext
from harn_tui.widgets.panes.stages import StagesPane

SIZE = (120, 30)

RUN = {
    "_type": "run_record", "id": "run-parent", "workflow_id": "deploy", "status": "completed",
    "started_at": "2026-11-20T09:00:00Z", "finished_at": "2026-11-20T09:01:00Z",
    "stages": [
        {"id": "s1", "node_id": "plan", "kind": "stage", "status": "completed", "outcome": "success",
         "started_at": "2026-11-20T09:00:01Z", "finished_at": "2026-11-20T09:00:02Z"},
        {"id": "s2", "node_id": "build", "kind": "stage", "status": "completed", "outcome": "success",
         "started_at": "2026-11-20T09:00:02Z", "finished_at": "2026-11-20T09:00:09Z"},
    ],
    "child_runs": [{"worker_id": "w1", "worker_name": "builder", "task": "build it", "status": "completed",
                    "run_id": "run-child", "run_path": "child.json"}],
}


class PaneScreen(Screen[None]):
    def __init__(self, pane: Pane) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


class Recorder(App[None]):
    """Nothing but the pane's screen; every request message that reaches it is kept."""

    CSS_PATH = APP_CSS

    def __init__(self, pane: Pane) -> None:
        super().__init__()
        self.pane = pane
        self.received: list[Message] = []

    def on_mount(self) -> None:
        self.push_screen(PaneScreen(self.pane))

    def on_open_json(self, message: OpenJson) -> None:
        self.received.append(message)

    def on_open_text(self, message: OpenText) -> None:
        self.received.append(message)

    def on_open_run(self, message: OpenRun) -> None:
        self.received.append(message)

    def on_open_stage(self, message: OpenStage) -> None:
        self.received.append(message)

    def on_copy(self, message: Copy) -> None:
        self.received.append(message)


def _detail(tmp_path: Path) -> Any:
    path = tmp_path / "parent.json"
    path.write_bytes(orjson.dumps(RUN))
    (tmp_path / "child.json").write_bytes(orjson.dumps({**RUN, "id": "run-child", "child_runs": []}))
    return load_run(path)


async def test_enter_on_a_stage_posts_open_stage(tmp_path: Path) -> None:
    pane = StagesPane(id="stages")
    app = Recorder(pane)
    detail = _detail(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        pane.show(detail)
        pane.focus_main()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: bool(app.received))
        [message] = app.received
        assert isinstance(message, OpenStage)
        assert message.detail is detail and message.index == 1
        assert app.screen.pane is pane  # the pane opened nothing itself


async def test_enter_on_a_child_posts_open_run_with_the_trail(tmp_path: Path) -> None:
    pane = ChildrenPane(id="children")
    app = Recorder(pane)
    async with app.run_test(size=SIZE) as pilot:
        pane.show(_detail(tmp_path))
        pane.focus_main()
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.received))
        [message] = app.received
        assert isinstance(message, OpenRun)
        assert message.path == (tmp_path / "child.json").absolute()
        assert message.trail == ["run-parent"]


async def test_a_child_in_the_index_reads_its_summary_from_the_context(tmp_path: Path) -> None:
    from harn_tui.core.index.summary import summarize

    detail = _detail(tmp_path)
    failed = summarize({**RUN, "id": "run-child", "status": "failed", "child_runs": []}, "child.json")
    pane = ChildrenPane(id="children")
    pane.context = PaneContext(root=tmp_path, runs={"child.json": failed},
                               relative=lambda p: Path(p).name if Path(p).parent == tmp_path else None)
    app = Recorder(pane)
    async with app.run_test(size=SIZE) as pilot:
        pane.show(detail)
        await pilot.pause()
        assert pane.child_rels() == {"child.json"}
        assert pane.views[0].status == "failed"  # the index's summary, not the parent's copy


async def test_the_hitl_note_says_why_there_is_no_event_log(tmp_path: Path) -> None:
    pane = HitlPane(id="hitl")
    pane.context = PaneContext(event_log_missing=lambda: "no event log under /x (give --events)")
    app = Recorder(pane)
    async with app.run_test(size=SIZE) as pilot:
        pane.show(_detail(tmp_path))
        await pilot.pause()
        note = str(pane.query_one("#hitl-empty").render())
        assert "no event log under /x (give --events)" in note
        pane.context = PaneContext(event_log_missing=lambda: None)  # a log is read
        pane.show(_detail(tmp_path))
        await pilot.pause()
        assert "No HITL requests for this run" in str(pane.query_one("#hitl-empty").render())


class RecordingApp(HarnTuiApp):
    """The real App, except that request messages are kept instead of acted on: a screen
    that called `open_json`/`copy_value` itself would open a viewer and record nothing."""

    CSS_PATH = str(Path(harn_tui.__file__).parent / "harn_tui.tcss")

    def __init__(self, root: Path) -> None:
        super().__init__(root, cache_dir=None, watch=False)
        self.received: list[Message] = []

    def _keep(self, message: Message) -> None:
        message.prevent_default()  # HarnTuiApp's own handler (next in the MRO) is skipped
        self.received.append(message)

    def on_open_json(self, message: OpenJson) -> None:
        self._keep(message)

    def on_open_text(self, message: OpenText) -> None:
        self._keep(message)

    def on_copy(self, message: Copy) -> None:
        self._keep(message)


async def test_screens_ask_for_viewers_and_copies_with_messages(tmp_path: Path) -> None:
    from harn_tui.screens.costs import CostsScreen
    from harn_tui.screens.run import RunScreen
    from harn_tui.screens.runs import RunsScreen

    _detail(tmp_path)
    app = RecordingApp(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        assert isinstance(app.screen, RunsScreen)
        await wait_for(pilot, lambda: bool(app.screen.table.rows))
        app.screen.table.cursor = next(
            i for i, r in enumerate(app.screen.table.rows) if r.path == "parent.json")
        await pilot.press("y")  # the run list: copy the path
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, CostsScreen))
        await pilot.press("r", "y", "escape")  # costs: report JSON, the headless command
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        app.open_path(tmp_path / "parent.json")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.press("R", "J", "y")  # the run: its file, its normalized record, the row's id
        await wait_for(pilot, lambda: len(app.received) == 6)
        assert isinstance(app.screen, RunScreen)  # nothing was opened behind the App's back
        copied, report, command, raw_file, normalized, picked = app.received
        assert isinstance(copied, Copy) and copied.text == str(tmp_path / "parent.json")
        assert isinstance(report, OpenJson) and report.title == "cost report"
        assert isinstance(command, Copy) and command.text.startswith("harn-tui costs --by ")
        assert isinstance(raw_file, OpenJson) and raw_file.path == tmp_path / "parent.json"
        assert isinstance(normalized, OpenJson) and normalized.title.startswith("normalized record")
        assert isinstance(picked, Copy) and picked.text == "s1"  # the selected stage's id
