"""The HITL inbox: every question, approval, dual-control and escalation request across runs.

Built in a worker from the run index (questions stored in run files) and the
event log (every HITL topic), newest first. `s` cycles the state filter, `/`
filters by text, Enter opens the run that asked on the stage that asked: the one
whose time window holds the request, else the latest started before it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from harn_tui.core.analysis.inbox import (
    STATE_FILTERS,
    InboxItem,
    build_inbox,
    filter_inbox,
    stage_that_asked,
)
from harn_tui.core.format import clock
from harn_tui.core.format.plural import plural
from harn_tui.core.format.timestamps import format_iso, format_relative
from harn_tui.messages import Copy, OpenJson
from harn_tui.text import block, line, safe
from harn_tui.widgets.focus import focus_now
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.status import state_text
from harn_tui.widgets.virtual_list import KeyedList, VirtualList, with_position

if TYPE_CHECKING:
    from harn_tui.screens.run import RunScreen

KIND_LABEL = {"dual_control": "dual-control"}
#: Column sets, widest first: (key, title, width); width 0 = the flexible prompt column.
LAYOUTS = (
    (("state", "STATE", 11), ("kind", "KIND", 12), ("age", "AGE", 8), ("agent", "AGENT", 14),
     ("prompt", "PROMPT / SUMMARY", 0), ("run", "RUN", 34)),
    (("state", "STATE", 11), ("kind", "KIND", 12), ("age", "AGE", 8),
     ("prompt", "PROMPT / SUMMARY", 0), ("run", "RUN", 30)),
    (("state", "STATE", 11), ("age", "AGE", 8), ("prompt", "PROMPT / SUMMARY", 0), ("run", "RUN", 24)),
    (("state", "STATE", 11), ("age", "AGE", 8), ("prompt", "PROMPT / SUMMARY", 0), ("run", "RUN", 16)),
)
#: How long Enter waits for the opened run to load before giving up on selecting its stage.
JUMP_TIMEOUT_S = 15.0
#: How long the loader waits for the app's first scan and event log before listing anyway.
SCAN_WAIT_S = 30.0




#: `workflow · <whole run id>` fits in this; the run column grows to it when there is room.
RUN_ROOM = 64
PROMPT_KEEP = 60


def layout(width: int) -> list[tuple[str, str, int]]:
    """The widest column set that leaves the prompt 24 cells (the prompt takes the rest);
    on wide terminals the run column grows towards a whole run id first."""
    for columns in LAYOUTS:
        fixed = sum(w + 1 for _k, _t, w in columns if w)
        if width - fixed - 1 >= 24 or columns is LAYOUTS[-1]:
            rest = max(width - fixed - 1, 8)
            run_w = next((w for k, _t, w in columns if k == "run"), 0)
            grow = max(0, min(RUN_ROOM - run_w, rest - PROMPT_KEEP)) if run_w else 0
            return [(k, t, w + grow if k == "run" else (w or rest - grow)) for k, t, w in columns]
    return []


def _pad(text: Text, w: int) -> Text:
    text.truncate(w, overflow="ellipsis", pad=True)
    return text


class InboxList(KeyedList[InboxItem]):
    """Rows of inbox items, keyed by request id so the cursor survives reloads."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now_ms = clock.now_ms()

    def row_key(self, row: InboxItem) -> object:
        return row.request_id

    def set_rows(self, rows: Sequence[InboxItem]) -> None:
        self.now_ms = clock.now_ms()
        super().set_rows(rows)
        self.post_message(self.Highlighted(self, self.cursor))

    @staticmethod
    def header(width: int) -> Text:
        out = Text(no_wrap=True, end="", style="bold")
        for _key, title, w in layout(width):
            out.append(title[:w].ljust(w) + " ")
        return out

    def render_row(self, index: int, width: int, selected: bool) -> Text:
        item = self.rows[index]
        out = Text(no_wrap=True, end="")
        for key, _title, w in layout(width):
            out.append_text(self._cell(item, key, w))
            out.append(" ")
        out.truncate(width)
        return out

    def _cell(self, item: InboxItem, key: str, w: int) -> Text:
        if key == "state":
            return _pad(state_text(item.state, w), w)
        if key == "kind":
            return _pad(line(KIND_LABEL.get(item.kind, item.kind), "cyan", w), w)
        if key == "age":
            age = format_relative(item.asked_ms, self.now_ms) if item.asked_ms is not None else "?"
            return _pad(line(age, "", w), w)
        if key == "agent":
            return _pad(line(item.agent or "-", "", w), w)
        if key == "prompt":
            return _pad(line(item.prompt or "(no prompt)", "" if item.prompt else "dim italic", w), w)
        if key == "run":
            if not item.in_root:
                return _pad(line(item.run_label, "dim italic", w), w)
            out = line(item.workflow or "?", "bold")
            if item.run_id:
                out.append(" · ", style="dim")
                out.append_text(line(item.run_id, "dim"))
            return _pad(out, w)
        return Text(" " * w, end="")


class InboxScreen(Screen[None]):
    """Every HITL request across the run root and the event log, newest first."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("s", "cycle_state", "State"),
        Binding("enter", "open_run", "Open run", show=False),
        Binding("r", "raw", "Raw JSON"),
        Binding("y", "copy", "Copy id"),
        Binding("u", "reload", "Reload"),
    ]

    state_filter: reactive[str] = reactive("all")
    search: reactive[str] = reactive("")

    def __init__(self) -> None:
        super().__init__()
        self.items: list[InboxItem] = []
        self.errors: list[str] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-totals")
        with Horizontal(id="inbox-bar"):
            yield Static(id="inbox-state")
            yield Input(placeholder="/ filter: prompt, agent, kind, state, workflow, run id", id="inbox-filter")
        yield Static(id="inbox-header")
        yield InboxList(id="inbox-list")
        yield Static(id="inbox-note")
        with VerticalScroll(id="inbox-detail-scroll"):
            yield Static(id="inbox-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.inbox.focus()
        self._render_bar()
        self.app.when_index_ready(self, self.load, SCAN_WAIT_S)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        # Coming back from a run: the log or the runs may have moved on.
        if self.loaded:
            self.load()

    @property
    def inbox(self) -> InboxList:
        return self.query_one(InboxList)

    @property
    def rows(self) -> list[InboxItem]:
        return self.inbox.rows

    # -- loading --------------------------------------------------------------

    @work(thread=True, exclusive=True, group="inbox-load")
    def load(self) -> None:
        """Build the inbox (first once the app's index is ready: see `on_mount`)."""
        app: Any = self.app
        errors: list[str] = []
        items: list[InboxItem] = []
        try:
            runs = app.call_from_thread(lambda: list(app.runs.values()))
        except RuntimeError:  # the app is shutting down
            return
        try:
            items = build_inbox(runs, app.root, app.event_log, errors=errors)
        except Exception as exc:  # never take the app down; say why the inbox is empty
            errors.append(f"inbox: {exc}")
        if app.event_log is None and getattr(app, "event_log_error", None):
            errors.append(f"event log: {app.event_log_error}")
        try:
            app.call_from_thread(self._loaded, items, errors)
        except RuntimeError:
            return

    def _loaded(self, items: list[InboxItem], errors: list[str]) -> None:
        self.items = items
        self.errors = errors
        self.loaded = True
        self.refresh_rows()

    def refresh_rows(self) -> None:
        rows = filter_inbox(self.items, self.state_filter, self.search or None)
        self.inbox.set_rows(rows)
        self._render_bar()
        self._render_detail()

    def _render_bar(self) -> None:
        items = self.items
        totals = Text(no_wrap=True)
        if not self.loaded:
            totals.append(" HITL inbox", style="bold")
            totals.append("  ·  loading…", style="dim italic")
        else:
            pending = sum(1 for i in items if not i.resolved)
            outside = sum(1 for i in items if not i.in_root)
            totals.append(f" HITL inbox  {plural(len(items), 'request')}", style="bold")
            totals.append("  ·  ")
            totals.append(f"● {pending} pending", style="yellow")
            totals.append("  ·  ")
            totals.append(f"✓ {len(items) - pending} resolved", style="green")
            if outside:
                totals.append(f"  ·  {outside} for runs not in the root", style="dim")
        self.query_one("#inbox-totals", Static).update(totals)
        state = Text(no_wrap=True)
        state.append(f" state:{self.state_filter}", style="bold" if self.state_filter != "all" else "dim")
        state.append(f"  {len(self.rows):,} of {len(self.items):,} shown ", style="dim")
        self.query_one("#inbox-state", Static).update(state)
        self._render_header()
        note = self._note()
        self.query_one("#inbox-note", Static).update(note)
        self.query_one("#inbox-note").display = bool(note.plain)

    def _note(self) -> Text:
        out = Text()
        if not self.loaded:
            return out
        if not self.items:
            out.append("No HITL requests in the run root or the event log.", style="italic")
        elif not self.rows:
            out.append("No request matches the filter.", style="italic")
        if getattr(self.app, "event_log", None) is None and not any(
            e.startswith("event log:") for e in self.errors
        ):
            if out.plain:
                out.append("\n")
            out.append("No event log found: only questions stored in run files are listed.", style="italic")
        for error in self.errors[:5]:
            if out.plain:
                out.append("\n")
            out.append("⚠ ", style="bold red")
            out.append_text(line(error, "red", 200))
        if len(self.errors) > 5:
            out.append(f"\n… {len(self.errors) - 5} more unreadable", style="red")
        return out

    def on_resize(self) -> None:
        self.call_after_refresh(self._render_bar)

    # -- detail ---------------------------------------------------------------

    def _render_header(self) -> None:
        width = self.inbox.scrollable_content_region.width or self.app.size.width
        header = with_position(InboxList.header(width), self.inbox.position(), self.size.width or width)
        self.query_one("#inbox-header", Static).update(header)

    @on(VirtualList.Highlighted, "#inbox-list")
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        self._render_header()
        if not isinstance(event, VirtualList.Selected):
            self._render_detail()

    @on(VirtualList.Selected, "#inbox-list")
    def _selected(self) -> None:
        self.action_open_run()

    def _render_detail(self) -> None:
        self.query_one("#inbox-detail", Static).update(detail_text(self.inbox.current, self.inbox.now_ms))

    # -- filters --------------------------------------------------------------

    def watch_state_filter(self) -> None:
        if self.is_mounted:
            self.refresh_rows()

    def watch_search(self) -> None:
        if self.is_mounted:
            self.refresh_rows()

    @on(Input.Changed, "#inbox-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.search = event.value

    @on(Input.Submitted, "#inbox-filter")
    def _filter_submitted(self) -> None:
        self.inbox.focus()

    def action_focus_filter(self) -> None:
        focus_now(self.query_one("#inbox-filter", Input))

    def action_cycle_state(self) -> None:
        i = STATE_FILTERS.index(self.state_filter)
        self.state_filter = STATE_FILTERS[(i + 1) % len(STATE_FILTERS)]

    def action_back(self) -> None:
        field = self.query_one("#inbox-filter", Input)
        if field.has_focus or self.search:
            field.value = ""
            self.search = ""
            self.inbox.focus()
            return
        self.app.pop_screen()

    # -- actions --------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def action_raw(self) -> None:
        item = self.inbox.current
        if item is not None:
            self.post_message(OpenJson(item.to_json(), f"HITL {item.request_id}"))

    def action_copy(self) -> None:
        item = self.inbox.current
        if item is not None:
            self.post_message(Copy(item.request_id))

    def action_open_run(self) -> None:
        """Open the run that asked; once loaded, select the stage that asked (or its HITL pane)."""
        from harn_tui.screens.run import RunScreen

        item = self.inbox.current
        if item is None:
            return
        app: Any = self.app
        if item.run_path is None:
            app.notify(
                f"run {item.run_id or '(unknown)'} has no file under {app.root}",
                title="Run not in the root",
                severity="warning",
                markup=False,
            )
            return
        app.open_path(app.root / item.run_path, trail=["HITL inbox"])
        screen = app.screen
        if not isinstance(screen, RunScreen):
            return
        deadline = time.monotonic() + JUMP_TIMEOUT_S
        revealed = False

        def shown(_detail: object) -> None:
            nonlocal revealed
            if revealed or time.monotonic() > deadline or not screen.is_mounted:
                return
            revealed = True
            reveal_request(screen, item)

        screen.shown.subscribe(self, shown)  # after the run's first show, once


def reveal_request(screen: RunScreen, item: InboxItem) -> tuple[str, int | None]:
    """On a loaded RunScreen, select the stage that asked `item` (`stage_that_asked`);
    only a run without stages shows its HITL pane row instead.

    Returns (pane id, selected row or None).
    """
    detail = screen.detail
    if detail is None:
        return ("", None)
    index = stage_that_asked(item, [stage.raw for stage in detail.record.stages])
    if index is not None:
        screen.action_pane("stages")
        table = screen.query_one("#stages-table", DataTable)
        if index < table.row_count:
            table.move_cursor(row=index, animate=False)
        return ("stages", index)
    screen.action_pane("hitl")
    table = screen.query_one("#hitl-table", DataTable)
    try:
        row = table.get_row_index(item.request_id)
    except Exception:
        return ("hitl", None)
    table.move_cursor(row=row, animate=False)
    return ("hitl", row)


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return str(value)


def _when(ms: int | None, raw: str | None, now: int) -> Text:
    out = Text()
    if ms is not None:
        out.append(format_iso(ms) + " UTC")
        out.append(f" ({format_relative(ms, now)})", style="dim")
    else:
        out.append_text(line(raw or "?", "", 40))
    return out


def detail_text(item: InboxItem | None, now: int) -> Text:
    """The detail panel for the selected item (all record text escaped)."""
    out = Text()
    if item is None:
        return out
    out.append(KIND_LABEL.get(item.kind, item.kind).capitalize(), style="bold cyan")
    out.append("  ")
    out.append_text(state_text(item.state))
    out.append("  ")
    out.append_text(line(item.request_id, "dim", 80))
    out.append("\n")
    out.append_text(block(item.prompt or "(no prompt)", limit=4000))
    out.append("\nagent ", style="dim")
    out.append_text(line(item.agent or "-", "", 30))
    out.append("   trace ", style="dim")
    out.append_text(line(item.trace_id or "-", "", 60))
    out.append("\nasked ", style="dim")
    out.append_text(_when(item.asked_ms, item.asked_at, now))
    if item.resolved_at or item.resolved_ms:
        out.append(f"   {item.state.replace('_', ' ')} ", style="dim")
        out.append_text(_when(item.resolved_ms, item.resolved_at, now))
    if item.reviewer:
        out.append("   by ", style="dim")
        out.append_text(line(item.reviewer, "", 30))
    if item.approvals:
        out.append("   approvals ", style="dim")
        out.append_text(line(", ".join(item.approvals), "", 60))
    out.append("\nrun ", style="dim")
    if item.in_root:
        out.append_text(line(item.workflow or "?", "bold", 40))
        out.append("  ")
        out.append_text(line(item.run_id or "-", "", 60))
        out.append("  ")
        out.append_text(line(item.run_path, "dim", 80))
    else:
        out.append("(run not in root)", style="italic")
        if item.run_id:
            out.append("  ")
            out.append_text(line(item.run_id, "", 60))
    out.append("\nfrom ", style="dim")
    out.append_text(line(" + ".join(item.sources) or "-", "dim", 40))
    if item.reason:
        out.append("\n\nReason\n", style="bold")
        out.append_text(safe(item.reason, limit=2000))
    if item.answer is not None:
        title = {"question": "Answer", "approval": "Approval", "dual_control": "Result"}.get(
            item.kind, "Response"
        )
        out.append(f"\n\n{title}\n", style="bold")
        answer = item.answer if isinstance(item.answer, str) else _json_text(item.answer)
        out.append_text(block(answer, limit=4000))
    if item.request is not None:
        out.append("\n\nRequest\n", style="bold")
        out.append_text(block(_json_text(item.request), limit=4000))
    return out
