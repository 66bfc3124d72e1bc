"""Child runs pane: worker, status, task, session, run path; a lineage tree; drill-down.

A child whose own run file resolves shows that file's status, duration and failure (not
the parent's copy), and follows the file live: in the run root through the app's
index, elsewhere through a watcher of its own.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static, Tree

from harn_tui.core.analysis.child_runs import CHILD, ChildView, child_view, resolve_child_path
from harn_tui.core.format.timestamps import format_duration
from harn_tui.messages import OpenRun
from harn_tui.text import label, line
from harn_tui.widgets.panes.pane import Pane, restore_cursor, table_cursor_key
from harn_tui.widgets.status import badge
from harn_tui.widgets.table import PaneTable

if TYPE_CHECKING:
    from harn_tui.core.index.summary import RunSummary

__all__ = ["ChildrenPane", "resolve_child_path"]


def _as_of_then(_path: Path) -> None:
    return None


class ChildrenPane(Pane):
    title = "Child runs"

    def compose(self) -> ComposeResult:
        table = PaneTable(id="children-table")
        # The open/missing link comes early so narrow terminals still show it.
        table.add_columns("worker", "status", "file", "duration", "failure / task", "session", "run")
        yield table
        yield Static(id="children-empty", classes="empty-note")
        yield Tree(label("lineage"), id="lineage")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#children-table", DataTable)

    def _resolve(self, run_path: str | None) -> Path | None:
        if self.detail is None:
            return None
        return resolve_child_path(run_path, self.context.root or self.detail.path.parent, self.detail.path)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Run files outside the root: path -> ((size, mtime_ns), summary), read in a worker.
        self._outside: dict[Path, tuple[tuple[int, int], RunSummary | None]] = {}
        self._watched: frozenset[Path] = frozenset()
        self.views: list[ChildView] = []

    def child_rels(self) -> set[str]:
        """The children's run files under the root (the app re-renders on their changes)."""
        ctx = self.context
        rels = {rel for view in self.views if view.path is not None
                and (rel := ctx.relative(view.path)) is not None}
        if self.detail is not None:  # a missing child's file may appear later
            for child, view in zip(self.detail.record.child_runs, self.views, strict=False):
                if view.path is None and child.run_path:
                    name = Path(child.run_path)
                    for option in ([ctx.root / name, ctx.root / name.name] if ctx.root else []):
                        rel = ctx.relative(option)
                        if rel is not None:
                            rels.add(rel)
        return rels

    def _summary_of(self, path: Path) -> RunSummary | None:
        """The child's own summary: live from the app's index under the root, else read
        off the UI thread (and re-read when the file changes)."""
        ctx = self.context
        rel = ctx.relative(path)
        if rel is not None and rel in ctx.runs:
            return ctx.runs[rel]
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_size, st.st_mtime_ns)
        known = self._outside.get(path)
        if known is None or known[0] != stamp:
            self._read_outside(path, stamp)
        return known[1] if known is not None else None

    @work(thread=True, group="child-read")
    def _read_outside(self, path: Path, stamp: tuple[int, int]) -> None:
        from harn_tui.core.index.discovery import stat_file
        from harn_tui.core.index.run_index import load_summary

        summary = load_summary(stat_file(path, path.name))
        self.app.call_from_thread(self._outside_read, path, stamp, summary)

    def _outside_read(self, path: Path, stamp: tuple[int, int], summary: RunSummary | None) -> None:
        known = self._outside.get(path)
        if known is not None and known[0] == stamp:
            return
        self._outside[path] = (stamp, summary)
        self.rerender()

    def rerender(self) -> None:
        """A child's run file changed: show the children again from the same detail."""
        if self.detail is not None:
            self.show(self.detail)

    def show(self, detail) -> None:  # type: ignore[no-untyped-def]
        super().show(detail)
        table = self.table
        key, row = table_cursor_key(table), table.cursor_row
        table.clear()
        children = detail.record.child_runs
        self.views = []
        scrubbing = getattr(detail, "asof_ms", None) is not None
        for i, child in enumerate(children):
            read = self._summary_of
            if scrubbing and child.status == "running" and child.finished_at is None:
                read = _as_of_then  # not finished at that moment: the file's final word is later
            view = child_view(child.raw, self._resolve(child.run_path), read)
            self.views.append(view)
            link = line("→ open", "green") if view.path else line("missing" if child.run_path else "", "dim")
            status = badge(view.status, None, 12)
            if view.source == CHILD:
                status.append("*", style="dim")  # from the child's own file
            task = line(view.failure, "red", 40) if view.failure else line(child.task, "", 40)
            table.add_row(
                line(child.worker_name, "bold", 20),
                status,
                link,
                line(format_duration(view.duration_ms) or "-", "", 9),
                task,
                line(child.session_id or "", "dim", 16),
                line(child.run_path or child.run_id or "", "", 34),
                key=str(i),
            )
        restore_cursor(table, key, row)
        note = self.query_one("#children-empty", Static)
        legend = bool(children) and any(v.source == CHILD for v in self.views)
        if not children:
            note.update("No child runs.")
        elif legend:
            note.update(line("* status, duration and failure from the child's own run file", "dim"))
        else:
            note.update("")
        note.set_class(not legend, "empty-note")  # the legend is one plain line: the table keeps the room
        note.display = not children or legend
        self._build_lineage(detail)
        self._watch_outside()

    def _watch_outside(self) -> None:
        """Follow children's run files that live outside the root (the root is watched)."""
        ctx = self.context
        outside = frozenset(v.path for v in self.views if v.path is not None and ctx.relative(v.path) is None)
        if outside == self._watched or not ctx.watch:
            return
        self._watched = outside
        if outside:
            self.run_worker(self._watch_loop(outside), exclusive=True, group="child-watch")

    async def _watch_loop(self, paths: frozenset[Path]) -> None:
        from harn_tui.core.index.watch import watch_files

        while True:
            try:
                async for _changed in watch_files(sorted(paths), poll_seconds=self.context.poll):
                    self.rerender()
                return
            except (RuntimeError, OSError):  # the watcher stopped (WatchFailed): look again
                self.rerender()
                await asyncio.sleep(0.5)

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
        views = self.views if len(self.views) == len(run.child_runs) else [None] * len(run.child_runs)
        for child, view in zip(run.child_runs, views, strict=True):
            status = view.status if view is not None else child.status
            here.add_leaf(label((child.worker_name, "bold"), (f"  [{status}] ", ""), (child.task, "dim")))
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
            self.notify(f"child run file not found: {where}", severity="warning", markup=False)
            return
        trail = [*getattr(self.screen, "trail", []), self.detail.record.id or self.detail.rel]
        self.post_message(OpenRun(path, trail=trail))

    def goto_failure(self, point) -> None:  # type: ignore[no-untyped-def]
        if point.child_index is not None and point.child_index < self.table.row_count:
            self.table.move_cursor(row=point.child_index, animate=False)

    def follow(self) -> None:
        if self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
