"""Compaction pane: mode, strategy, archived messages, tokens before → after, snapshot."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from harn_tui.core.format.numbers import fmt_tokens
from harn_tui.messages import OpenJson
from harn_tui.text import line
from harn_tui.widgets.panes.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.table import PaneTable

BAR = 20


def token_bar(before: int, after: int, scale: int) -> Text:
    """`████████░░░░` : after (solid) within before (shaded), scaled to the largest event."""
    scale = max(scale, 1)
    full = round(BAR * before / scale)
    kept = round(BAR * after / scale) if before else 0
    kept = min(kept, full)
    out = Text(no_wrap=True, end="")
    out.append("█" * kept, style="green")
    out.append("░" * (full - kept), style="red")
    out.append(" " * (BAR - full))
    return out


class CompactionPane(Pane):
    title = "Compaction"

    def compose(self) -> ComposeResult:
        table = PaneTable(id="compaction-table")
        table.add_columns("where", "mode", "strategy", "archived", "tokens before → after", "", "snapshot")
        yield table
        yield Static(id="compaction-empty", classes="empty-note")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#compaction-table", DataTable)

    def show(self, detail) -> None:  # type: ignore[no-untyped-def]
        super().show(detail)
        table = self.table
        key, row = table_cursor_key(table), table.cursor_row
        table.clear()
        events = detail.compaction_events
        scale = max((e.get("estimated_tokens_before") or 0 for e in events), default=1)
        for i, e in enumerate(events):
            before = int(e.get("estimated_tokens_before") or 0)
            after = int(e.get("estimated_tokens_after") or 0)
            snap = (
                line("available", "green")
                if e.get("available")
                else line("missing" if e.get("snapshot_asset_id") else "none", "dim")
            )
            table.add_row(
                line(e.get("node_id") or "run", "bold", 20),
                line(e.get("mode") or "-", "", 10),
                line(e.get("strategy") or "-", "", 16),
                str(e.get("archived_messages") or 0),
                f"{fmt_tokens(before)} → {fmt_tokens(after)}",
                token_bar(before, after, scale),
                snap,
                key=str(i),
            )
        restore_cursor(table, key, row)
        note = self.query_one("#compaction-empty", Static)
        note.update("No compaction events in this run's transcripts." if not events else "")
        note.display = not events

    def current(self) -> dict[str, Any] | None:
        key = table_cursor_key(self.table)
        if self.detail is None or key is None:
            return None
        return self.detail.compaction_events[int(key)]

    def selection(self) -> tuple[str, Any] | None:
        event = self.current()
        return (f"compaction {event.get('id')}", event) if event else None

    def snapshot(self, event: dict[str, Any]) -> Any:
        """The snapshot asset's data (the pre-compaction transcript), when available."""
        if self.detail is None or not event.get("available"):
            return None
        record = self.detail.record
        transcript = None
        if event.get("stage_id") is None:
            transcript = record.transcript
        else:
            for stage in record.stages:
                if stage.id == event.get("stage_id"):
                    transcript = stage.transcript
                    break
        if transcript is None:
            return None
        asset = transcript.asset(event.get("snapshot_asset_id") or "")
        return None if asset is None else asset.get("data", asset)

    @on(DataTable.RowSelected, "#compaction-table")
    def _open(self) -> None:
        event = self.current()
        if event is None:
            return
        data = self.snapshot(event)
        if data is None:
            self.notify("No snapshot recorded for this compaction.", severity="warning", markup=False)
            return
        self.post_message(OpenJson(data, f"snapshot {event.get('snapshot_asset_id')}"))
