"""HITL pane: the run's questions, approvals, dual-control requests and escalations, with their state."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from harn_tui.core.analysis.inbox import InboxItem, run_requests
from harn_tui.core.format import clock
from harn_tui.core.format.timestamps import format_iso
from harn_tui.screens.inbox import KIND_LABEL, detail_text, state_text
from harn_tui.text import line, safe
from harn_tui.widgets.panes.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.table import PaneTable


class HitlPane(Pane):
    """Every HITL request of the run — questions, approvals, dual-control requests and
    escalations — by the inbox's own rule (`core.inbox.run_requests`)."""

    title = "HITL"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items: list[InboxItem] = []

    def compose(self) -> ComposeResult:
        table = PaneTable(id="hitl-table")
        table.add_columns("state", "kind", "prompt", "agent", "asked at (UTC)", "answer", "trace")
        yield table
        yield Static(id="hitl-empty", classes="empty-note")
        with VerticalScroll(id="hitl-detail-scroll"):
            yield Static(id="hitl-detail")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#hitl-table", DataTable)

    def state_of(self, request_id: str) -> Any:
        return (self.detail.hitl_states if self.detail else {}).get(request_id)

    def requests(self) -> list[InboxItem]:
        """The run's requests (oldest first), linked to this run."""
        detail = self.detail
        if detail is None:
            return []
        run = detail.record
        items = run_requests(detail.normalized.get("hitl_questions") or [], run.id, detail.hitl_states or {})
        for item in items:
            item.run_path, item.workflow, item.run_status = detail.rel, run.display_name, run.status
            item.run_id = item.run_id or run.id
        return items

    def show(self, detail) -> None:  # type: ignore[no-untyped-def]
        super().show(detail)
        table = self.table
        key, row = table_cursor_key(table), table.cursor_row
        table.clear()
        self.items = self.requests()
        for item in self.items:
            table.add_row(
                state_text(item.state, 11),
                line(KIND_LABEL.get(item.kind, item.kind), "cyan", 12),
                line(item.prompt or "(no prompt)", "", 50),
                line(item.agent or "-", "", 16),
                line(format_iso(item.asked_ms) if item.asked_ms is not None else item.asked_at, "dim", 19),
                line(item.answer_text(), "green", 30),
                line(item.trace_id or "", "dim", 20),
                key=item.request_id,
            )
        restore_cursor(table, key, row)
        note = self.query_one("#hitl-empty", Static)
        if self.items:
            text = ""
        elif detail.event_log_error:
            text = f"No HITL requests in the run file; the event log could not be read: {detail.event_log_error}"
        elif (missing := self.context.event_log_missing()) is not None:
            missing = missing or "no event log found"
            text = f"No HITL questions in the run file; {missing}."
        else:
            text = "No HITL requests for this run (questions, approvals, dual-control, escalations)."
        note.update(safe(text, "dim italic") if text else "")  # wrapped: the flag comes last
        note.display = bool(text)
        self._show_detail()

    def current(self) -> InboxItem | None:
        key = table_cursor_key(self.table)
        if key is None:
            return None
        return next((item for item in self.items if item.request_id == key), None)

    @on(DataTable.RowHighlighted, "#hitl-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        item = self.current()
        out = detail_text(item, clock.now_ms()) if item is not None else Text()
        self.query_one("#hitl-detail", Static).update(out)

    def selection(self) -> tuple[str, Any] | None:
        item = self.current()
        if item is None:
            return None
        value = item.to_json()
        st = self.state_of(item.request_id)
        if st is not None:
            from dataclasses import asdict

            value["event_log_state"] = asdict(st)
        return f"HITL {item.request_id}", value

    def follow(self) -> None:
        if self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
