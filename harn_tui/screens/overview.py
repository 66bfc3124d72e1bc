"""`O` in the run detail: the portal's run-level views (insights, failures, policy, replay and
eval, artifacts, story, activity, transitions, checkpoints), live with the run."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from harn_tui.messages import Copy, OpenJson, OpenText
from harn_tui.text import line
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.overview import SECTIONS, OverviewList, Row, build_rows
from harn_tui.widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail
    from harn_tui.screens.run import RunScreen


def shell_path(path: Any) -> str:
    """The run file as a command argument: relative to the current folder when inside it."""
    text = str(path)
    try:
        rel = os.path.relpath(text)
    except ValueError:
        return text
    return text if rel.startswith("..") else rel


class OverviewScreen(Screen[None]):
    """One virtual list of sections; `1`–`9`, `0` jump to a section, `enter` acts on a row."""

    BINDINGS = [
        Binding("escape,O", "back", "Back"),
        *(Binding(str(n % 10), f"section('{sid}')", title, show=False) for n, (sid, title) in enumerate(SECTIONS, start=1)),
        Binding("tab", "next_section(1)", "Next section", show=False, priority=True),
        Binding("shift+tab", "next_section(-1)", "Prev section", show=False, priority=True),
        Binding("r", "raw", "Raw JSON"),
        Binding("y", "copy", "Copy"),
    ]

    def __init__(self, run_screen: RunScreen) -> None:
        super().__init__()
        self.run_screen = run_screen

    def compose(self) -> ComposeResult:
        yield Static(id="overview-header")
        yield OverviewList(id="overview")
        yield KeyFooter()

    @property
    def list(self) -> OverviewList:
        return self.query_one(OverviewList)

    def on_mount(self) -> None:
        if self.run_screen.detail is not None:
            self.show(self.run_screen.detail)
        self.run_screen.shown.subscribe(self, self.show, immediate=True)
        self.list.focus()

    def show(self, detail: RunDetail) -> None:
        """Rebuild from a freshly loaded run (the cursor stays on its row)."""
        self.list.set_rows(build_rows(detail, shell_path(detail.path)))
        header = Text(no_wrap=True)
        header.append("Overview ", style="bold")
        header.append_text(line(detail.record.display_name, "bold cyan", 40))
        header.append("  ")
        header.append_text(line(detail.record.id, "dim", 44))
        header.append("\n0-9 sections · enter jump/open · r raw · y copy · esc back", style="dim")
        self.query_one("#overview-header", Static).update(header)

    # -- navigation -----------------------------------------------------------

    def _goto_key(self, key: str) -> None:
        for i, row in enumerate(self.list.rows):
            if row.key == key:
                self.list.cursor = i
                return

    def action_section(self, section: str) -> None:
        """Cursor on the section's first item, its header at the top of the list."""
        self._goto_key(f"header:{section}")
        top = self.list.cursor
        if top + 1 < len(self.list.rows):
            self.list.cursor = top + 1
        self.list.scroll_to(y=top, animate=False)

    def action_next_section(self, step: int) -> None:
        ids = [sid for sid, _ in SECTIONS]
        current = self.list.current
        here = ids.index(current.section) if current is not None else 0
        self.action_section(ids[(here + step) % len(ids)])

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(VirtualList.Selected, "#overview")
    def _selected(self, event: VirtualList.Selected) -> None:
        row = self.list.current
        if row is not None and row.action is not None:
            self.act(row)

    def act(self, row: Row) -> None:
        """Perform a row's action."""
        kind, *args = row.action or (None,)
        if kind == "pane":
            pane, payload = args
            self.app.pop_screen()
            self.run_screen.jump_to(pane, payload)
        elif kind == "failure":
            self.app.pop_screen()
            self.run_screen._goto(args[0])
        elif kind == "row":
            self._goto_key(args[0])
        elif kind == "text":
            self.post_message(OpenText(args[1] or "", args[0]))
        elif kind == "json":
            self.post_message(OpenJson(args[1], args[0]))
        elif kind == "copy":
            self.post_message(Copy(args[0]))

    def action_raw(self) -> None:
        row = self.list.current
        if row is not None and row.action is not None and row.action[0] == "json":
            self.post_message(OpenJson(row.action[2], row.action[1]))
        elif self.run_screen.detail is not None:
            self.run_screen.action_raw_run()

    def action_copy(self) -> None:
        row = self.list.current
        if row is None or not row.parts:
            return
        text = row.action[1] if row.action is not None and row.action[0] == "copy" else str(row.parts[-1][0])
        self.post_message(Copy(text))
