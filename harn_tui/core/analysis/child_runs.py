"""A child run as its own run file tells it: the file's status, duration and failure win
over the parent's copy (the parent records the child as the worker last reported it).

Pure: no Textual or Rich here; the pane is ``harn_tui.widgets.panes.children``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harn_tui.core.format.locations import absolute_path
from harn_tui.core.format.schema import to_str
from harn_tui.core.format.timestamps import parse_ms
from harn_tui.core.index.summary import RunSummary

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail

__all__ = ["ChildView", "child_view", "child_views", "read_summary", "resolve_child_path"]

PARENT = "parent's record"
CHILD = "child's run file"


def resolve_child_path(run_path: str | None, root: Path, parent_file: Path) -> Path | None:
    """A child's run file: as given if absolute, else relative to the run root, the
    parent's folder, or the root's parent (Harn writes `.harn-runs/<id>.json` from cwd).
    The path is made absolute like every other (folders resolved, the name kept)."""
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
                return absolute_path(option)
        except OSError:
            continue
    return None


@dataclass(frozen=True, slots=True)
class ChildView:
    """What the Child runs pane shows for one child."""

    status: str
    duration_ms: int | None
    failure: str | None
    source: str  # PARENT or CHILD
    path: Path | None
    summary: RunSummary | None


def _parent_duration(child: dict[str, Any]) -> int | None:
    start, end = parse_ms(child.get("started_at")), parse_ms(child.get("finished_at"))
    if start is None or end is None or end < start:
        return None
    return end - start


def child_view(
    child: dict[str, Any],
    path: Path | None,
    summary_of: Callable[[Path], RunSummary | None],
) -> ChildView:
    """The child as shown: its own run file's summary when `path` resolves to a readable
    run record of the same id (`summary_of` reads it), else the parent's copy."""
    summary = summary_of(path) if path is not None else None
    run_id = to_str(child.get("run_id"))
    if summary is not None and not summary.broken and (not run_id or not summary.id or summary.id == run_id):
        return ChildView(summary.status or to_str(child.get("status")), summary.duration_ms,
                         summary.failure, CHILD, path, summary)
    status = to_str(child.get("status")) or "completed"
    return ChildView(status, _parent_duration(child), None, PARENT, path, None)


def read_summary(path: Path) -> RunSummary | None:
    """The summary of one run file read now (None when not a run record)."""
    from harn_tui.core.index.discovery import stat_file
    from harn_tui.core.index.run_index import load_summary

    return load_summary(stat_file(path, path.name))


def child_views(detail: RunDetail) -> list[ChildView]:
    """Every child of a loaded run, each from its own run file when it resolves (for
    `show` and exports; the pane reads the app's live index instead)."""
    rel_parts = len(Path(detail.rel).parts)
    path = Path(detail.path)
    root = path.parents[rel_parts - 1] if 0 < rel_parts <= len(path.parents) else path.parent
    return [
        child_view(child.raw, resolve_child_path(child.run_path, root, path), read_summary)
        for child in detail.record.child_runs
    ]
