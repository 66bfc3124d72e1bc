"""HITL pane: every question with its state from the event log (asked / answered / timed out)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from harn_tui.core.timestamps import format_iso, parse_ms
from harn_tui.text import line, safe
from harn_tui.widgets.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.status import STATE_STYLE
from harn_tui.widgets.table import PaneTable


def _answer_text(answer: Any) -> str:
    if answer is None:
        return ""
    if isinstance(answer, str):
        return answer
    import orjson

    try:
        return orjson.dumps(answer).decode()
    except TypeError:
        return str(answer)


class HitlPane(Pane):
    title = "HITL"

    def compose(self) -> ComposeResult:
        table = PaneTable(id="hitl-table")
        table.add_columns("state", "prompt", "agent", "asked at (UTC)", "answer", "trace")
        yield table
        yield Static(id="hitl-empty", classes="empty-note")
        with VerticalScroll(id="hitl-detail-scroll"):
            yield Static(id="hitl-detail")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#hitl-table", DataTable)

    def state_of(self, request_id: str) -> Any:
        return (self.detail.hitl_states if self.detail else {}).get(request_id)

    def show(self, detail) -> None:  # type: ignore[no-untyped-def]
        super().show(detail)
        table = self.table
        key, row = table_cursor_key(table), table.cursor_row
        table.clear()
        questions = detail.record.hitl_questions
        for q in questions:
            st = self.state_of(q.request_id)
            state = getattr(st, "state", None) or "asked"
            asked = parse_ms(q.asked_at)
            table.add_row(
                line(state, STATE_STYLE.get(state, ""), 10),
                line(q.prompt, "", 50),
                line(q.agent or "-", "", 16),
                line(format_iso(asked) if asked is not None else q.asked_at, "dim", 19),
                line(_answer_text(getattr(st, "answer", None)), "green", 30),
                line(q.trace_id or "", "dim", 20),
                key=q.request_id or str(id(q)),
            )
        restore_cursor(table, key, row)
        note = self.query_one("#hitl-empty", Static)
        if questions:
            text = ""
        elif detail.event_log_error:
            text = f"No HITL questions in the run file; the event log could not be read: {detail.event_log_error}"
        elif getattr(self.app, "event_log", None) is None:
            text = "No HITL questions in the run file (no event log found to merge from)."
        else:
            text = "No HITL questions for this run."
        note.update(line(text, "dim italic") if text else "")
        note.display = bool(text)
        self._show_detail()

    def current(self):  # type: ignore[no-untyped-def]
        key = table_cursor_key(self.table)
        if self.detail is None or key is None:
            return None
        for q in self.detail.record.hitl_questions:
            if q.request_id == key:
                return q
        return None

    @on(DataTable.RowHighlighted, "#hitl-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        q = self.current()
        out = Text()
        if q is not None:
            st = self.state_of(q.request_id)
            out.append("Question\n", style="bold")
            out.append_text(safe(q.prompt))
            out.append("\n\nrequest ", style="dim")
            out.append_text(line(q.request_id))
            out.append("   agent ", style="dim")
            out.append_text(line(q.agent or "-"))
            out.append("   trace ", style="dim")
            out.append_text(line(q.trace_id or "-"))
            if st is not None:
                out.append("\nstate ", style="dim")
                out.append_text(line(st.state, STATE_STYLE.get(st.state, "")))
                if st.resolved_at:
                    out.append("  at ", style="dim")
                    out.append_text(line(st.resolved_at))
                if st.answer is not None:
                    out.append("\n\nAnswer\n", style="bold")
                    out.append_text(safe(_answer_text(st.answer)))
        self.query_one("#hitl-detail", Static).update(out)

    def selection(self) -> tuple[str, Any] | None:
        q = self.current()
        if q is None:
            return None
        value = dict(q.raw)
        st = self.state_of(q.request_id)
        if st is not None:
            from dataclasses import asdict

            value["event_log_state"] = asdict(st)
        return f"HITL {q.request_id}", value

    def follow(self) -> None:
        if self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
