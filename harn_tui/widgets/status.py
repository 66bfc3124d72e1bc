"""Status presentation: a symbol and a colour per group, readable without colour."""

from __future__ import annotations

from rich.text import Text

from harn_tui.core.derive import COMPLETED_STATUSES, FAILED_STATUSES
from harn_tui.text import line

SYMBOLS = {"completed": "✓", "failed": "✗", "active": "●", "broken": "!", "paused": "‖"}
STYLES = {
    "completed": "green",
    "failed": "bold red",
    "active": "yellow",
    "broken": "bold magenta",
    "paused": "cyan",
}


def group_of(status: str) -> str:
    """completed / failed / paused / active for any status string (open set)."""
    if status in FAILED_STATUSES:
        return "failed"
    if status in COMPLETED_STATUSES:
        return "completed"
    if status == "paused":
        return "paused"
    return "active"


def badge(status: str, group: str | None = None, width: int | None = None) -> Text:
    """`✓ completed` in the group's colour."""
    group = group or group_of(status)
    text = Text(f"{SYMBOLS.get(group, '?')} ", style=STYLES.get(group, ""), no_wrap=True, end="")
    text.append_text(line(status or group, STYLES.get(group, ""), None if width is None else width - 2))
    return text
