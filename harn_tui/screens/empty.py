"""The friendly screen shown when there is no run root to explore."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from harn_tui.text import line, safe
from harn_tui.widgets.footer import KeyFooter


class EmptyScreen(Screen[None]):
    """No run directory: say where we looked, which variables matter, and suggest --demo."""

    BINDINGS = [Binding("q", "app.quit", "Quit")]

    def __init__(self, root: Path, reason: str | None = None) -> None:
        super().__init__()
        self.root = root
        self.reason = reason

    def compose(self) -> ComposeResult:
        msg = Text()
        msg.append("No Harn runs to show\n\n", style="bold")
        msg.append("Looked for a run directory at:\n  ")
        msg.append_text(safe(str(self.root), "bold yellow"))
        if self.reason:
            msg.append("\n  (")
            msg.append_text(line(self.reason))
            msg.append(")")
        msg.append(
            "\n\nharn-tui reads the run root from the ROOT argument, else $HARN_RUN_DIR, "
            "else ./.harn-runs. The event log is found via $HARN_STATE_DIR, "
            "$HARN_EVENT_LOG_BACKEND, $HARN_EVENT_LOG_SQLITE_PATH and $HARN_EVENT_LOG_DIR, or --events PATH.\n\n"
        )
        msg.append("Try it on generated data:  ", style="dim")
        msg.append("harn-tui --demo", style="bold green")
        msg.append("\nThis screen updates by itself when the directory appears.", style="dim")
        yield Static(msg, id="empty-message")
        yield KeyFooter()
