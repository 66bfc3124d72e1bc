"""Child runs pane: worker, status, task, session, run path; a lineage tree; drill-down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static, Tree

from harn_tui.text import label, line
from harn_tui.widgets.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.status import badge
from harn_tui.widgets.table import PaneTable


def resolve_child_path(run_path: str | None, root: Path, parent_file: Path) -> Path | None:
    """A child's run file: as given if absolute, else relative to the run root, the
    parent's folder, or the root's parent (Harn writes `.harn-runs/<id>.json` from cwd)."""
    if not run_path:
        return None
    candidate = Path(run_path)
    options = [candidate] if candidate.is_absolute() else [
        root / candidate,
        parent_file.parent / candidate,
        root.parent / candidate,
        root / candidate.name,
        parent_file.parent / candidate.name,
    ]
    for option in options:
        try:
            if option.is_file():
                return option
        except OSError:
            continue
    return None


class ChildrenPane(Pane):
    title = "Child runs"

    def compose(self) -> ComposeResult:
        table = PaneTable(id="children-table")
        # The open/missing link comes early so narrow terminals still show it.
        table.add_columns("worker", "status", "file", "task", "session", "run")
        yield table
        yield Static(id="children-empty", classes="empty-note")
        yield Tree(label("lineage"), id="lineage")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#children-table", DataTable)

    def _resolve(self, run_path: str | None) -> Path | None:
        if self.detail is None:
            return None
        return resolve_child_path(run_path, self.app.root, self.detail.path)  # type: ignore[attr-defined]

    def show(self, detail) -> None:  # type: ignore[no-untyped-def]
        super().show(detail)
        table = self.table
        key, row = table_cursor_key(table), table.cursor_row
        table.clear()
        children = detail.record.child_runs
        for i, child in enumerate(children):
            resolved = self._resolve(child.run_path)
            link = line("→ open", "green") if resolved else line("missing" if child.run_path else "", "dim")
            table.add_row(
                line(child.worker_name, "bold", 20),
                badge(child.status, None, 12),
                link,
                line(child.task, "", 30),
                line(child.session_id or "", "dim", 16),
                line(child.run_path or child.run_id or "", "", 34),
                key=str(i),
            )
        restore_cursor(table, key, row)
        note = self.query_one("#children-empty", Static)
        note.update("No child runs." if not children else "")
        note.display = not children
        self._build_lineage(detail)

    def _build_lineage(self, detail) -> None:  # type: ignore[no-untyped-def]
        """Root run → this run → its children (the breadcrumb trail gives the ancestors)."""
        tree = self.query_one("#lineage", Tree)
        tree.clear()
        run = detail.record
        trail: list[str] = list(getattr(self.screen, "trail", []) or [])
        node = tree.root
        tree.root.set_label(label(("lineage", "bold")))
        if run.root_run_id and run.root_run_id != run.id and (not trail or trail[0] != run.root_run_id):
            node = node.add(label(("root ", "dim"), (run.root_run_id, "")), expand=True)
        if run.parent_run_id and run.parent_run_id not in trail:
            node = node.add(label(("parent ", "dim"), (run.parent_run_id, "")), expand=True)
        for ancestor in trail:
            node = node.add(label((ancestor, "")), expand=True)
        here = node.add(label(("● ", "yellow"), (run.display_name, "bold"), (f"  {run.id}", "dim")), expand=True)
        for child in run.child_runs:
            here.add_leaf(
                label((child.worker_name, "bold"), (f"  [{child.status}] ", ""), (child.task, "dim"))
            )
        tree.root.expand_all()

    def current(self):  # type: ignore[no-untyped-def]
        key = table_cursor_key(self.table)
        if self.detail is None or key is None:
            return None
        return self.detail.record.child_runs[int(key)]

    def selection(self) -> tuple[str, Any] | None:
        child = self.current()
        return (f"child run {child.worker_name}", child.raw) if child else None

    @on(DataTable.RowSelected, "#children-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        child = self.current()
        if child is None or self.detail is None:
            return
        path = self._resolve(child.run_path)
        if path is None:
            where = child.run_path or "(no run_path recorded)"
            self.app.notify(f"child run file not found: {where}", severity="warning", markup=False)
            return
        trail = [*getattr(self.screen, "trail", []), self.detail.record.id or self.detail.rel]
        self.app.open_path(path, trail=trail)  # type: ignore[attr-defined]

    def goto_failure(self, point) -> None:  # type: ignore[no-untyped-def]
        if point.child_index is not None and point.child_index < self.table.row_count:
            self.table.move_cursor(row=point.child_index, animate=False)

    def follow(self) -> None:
        if self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
