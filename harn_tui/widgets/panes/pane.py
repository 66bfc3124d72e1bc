"""Shared base of the run-detail panes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.containers import Vertical
from textual.widgets import DataTable

if TYPE_CHECKING:
    from harn_tui.core.analysis.failures import FailurePoint
    from harn_tui.core.format.normalize import RunDetail
    from harn_tui.core.index.summary import RunSummary


def _outside(_path: Path) -> str | None:
    return None


def _no_log() -> str | None:
    return ""


@dataclass(frozen=True)
class PaneContext:
    """What a pane may know of the run's surroundings, handed down by its screen (panes
    never read the App). The default is a run on its own: no root, no index, no event log."""

    #: The run root (None: resolve children next to the run file only).
    root: Path | None = None
    #: The App's live index of summaries, keyed by path relative to the root (read, never copied).
    runs: Mapping[str, RunSummary] = field(default_factory=dict)
    #: A path relative to the root, or None when outside it.
    relative: Callable[[Path], str | None] = _outside
    #: Whether files outside the root are followed, and the poll interval (None: native events).
    watch: bool = False
    poll: float | None = None
    #: None when an event log is read; else why there is none ("" when not known).
    event_log_missing: Callable[[], str | None] = _no_log


class Pane(Vertical):
    """A run-detail pane: `show(detail)` renders it; `selection()` names what is selected."""

    title = "Pane"
    detail: RunDetail | None = None
    context: PaneContext = PaneContext()

    def show(self, detail: RunDetail) -> None:
        """Render (or re-render in place) from a freshly loaded detail."""
        self.detail = detail

    def on_screen(self) -> bool:
        """Displayed, and so are all its ancestors (an inactive tab hides its pane). Panes
        with costly renders build only then, and again when next shown (`on_show`)."""
        return self.is_attached and all(getattr(node, "display", True) for node in self.ancestors_with_self)

    def selection(self) -> tuple[str, Any] | None:
        """(title, JSON value) of the selected object, for the raw view and copy."""
        return None

    def focus_main(self) -> None:
        """Focus the pane's main widget."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def follow(self) -> None:
        """Follow mode: select the newest item."""

    def goto_failure(self, point: FailurePoint) -> None:
        """Select what a failure point names (panes that show failures override this)."""


def table_cursor_key(table: DataTable) -> Any:
    """The row key under the cursor (None when empty)."""
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:
        return None


def restore_cursor(table: DataTable, key: Any, fallback_row: int = 0) -> None:
    """Put the cursor back on the row with `key` (rows keep their keys across refreshes)."""
    if not table.row_count:
        return
    if key is not None:
        try:
            table.move_cursor(row=table.get_row_index(key), animate=False)
            return
        except Exception:
            pass
    table.move_cursor(row=min(fallback_row, table.row_count - 1), animate=False)
