"""Stages pane: node, kind, status/outcome/branch, duration, attempts, tokens."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from harn_tui.core.analysis.failures import stage_errors
from harn_tui.core.format import derive
from harn_tui.core.format.numbers import fmt_tokens
from harn_tui.core.format.timestamps import format_duration
from harn_tui.messages import OpenStage
from harn_tui.text import line
from harn_tui.widgets.panes.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.status import badge
from harn_tui.widgets.table import PaneTable


class StagesPane(Pane):
    title = "Stages"

    def compose(self) -> ComposeResult:
        table = PaneTable(id="stages-table")
        table.add_columns("#", "node", "kind", "status", "outcome / branch", "duration", "att", "tokens in/out")
        yield table
        yield Static(id="stages-empty", classes="empty-note")
        yield Static(id="stages-error")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#stages-table", DataTable)

    def show(self, detail) -> None:  # type: ignore[no-untyped-def]
        super().show(detail)
        table = self.table
        key, row = table_cursor_key(table), table.cursor_row
        table.clear()
        stages = detail.record.stages
        for i, stage in enumerate(stages):
            usage = stage.usage
            tokens = f"{fmt_tokens(usage.input_tokens)}/{fmt_tokens(usage.output_tokens)}" if usage else ""
            outcome = Text(no_wrap=True)
            outcome.append_text(line(stage.outcome, "", 24))
            if stage.branch:
                outcome.append(" → ", style="dim")
                outcome.append_text(line(stage.branch, "italic", 16))
            failed_attempts = sum(1 for a in stage.attempts if a.error)
            attempts = Text(str(len(stage.attempts)), style="red" if failed_attempts else "")
            table.add_row(
                str(i + 1),
                line(stage.node_id, "bold", 28),
                line(stage.kind, "", 12),
                badge(stage.status, None, 14),
                outcome,
                format_duration(derive.stage_duration_ms(stage.raw)) or "-",
                attempts,
                tokens,
                key=str(i),
            )
        restore_cursor(table, key, row)
        note = self.query_one("#stages-empty", Static)
        note.update("No stages recorded yet." if not stages else "")
        note.display = not stages
        self._render_error()

    @on(DataTable.RowHighlighted, "#stages-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._render_error()

    def _render_error(self) -> None:
        """The selected stage's errors (metadata.error, then each failed attempt), under the table."""
        strip = self.query_one("#stages-error", Static)
        index = self.current_index()
        errors: list[str] = []
        if self.detail is not None and index is not None and index < len(self.detail.record.stages):
            errors = stage_errors(self.detail.record.stages[index].raw)
        text = Text()
        for i, error in enumerate(errors[:4]):
            if i:
                text.append("\n")
            text.append("✗ ", style="bold red")
            text.append_text(line(error, "red", 300))
        if len(errors) > 4:
            text.append(f"\n… {len(errors) - 4} more (enter opens the stage)", style="dim")
        strip.update(text)
        strip.display = bool(errors)

    def goto_failure(self, point) -> None:  # type: ignore[no-untyped-def]
        if point.stage_index is not None and point.stage_index < self.table.row_count:
            self.table.move_cursor(row=point.stage_index, animate=False)
            self._render_error()

    def current_index(self) -> int | None:
        key = table_cursor_key(self.table)
        return int(key) if key is not None else None

    def selection(self) -> tuple[str, Any] | None:
        index = self.current_index()
        if self.detail is None or index is None:
            return None
        stage = self.detail.record.stages[index]
        return f"stage {stage.node_id}", stage.raw

    @on(DataTable.RowSelected, "#stages-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        index = self.current_index()
        if self.detail is not None and index is not None:
            self.post_message(OpenStage(self.detail, index))

    def follow(self) -> None:
        if self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
