"""Status and HITL-state presentation, in one place: a symbol and a colour per group,
readable without colour. Colours are named ones that `palette` draws with the theme's
$success / $error / $warning (each colour means one thing, see `palette.MEANING`)."""

from __future__ import annotations

from rich.text import Text

from harn_tui.core.format.derive import COMPLETED_STATUSES, FAILED_STATUSES
from harn_tui.text import line

SYMBOLS = {"completed": "✓", "failed": "✗", "active": "●", "broken": "!", "paused": "‖"}
STYLES = {
    "completed": "green",
    "failed": "bold red",
    "active": "yellow",
    "broken": "bold red",
    "paused": "blue",
}
#: HITL states (questions, approvals, dual-control, escalations): waiting = attention,
#: resolved = success, expired or refused = failure.
STATE_STYLE = {
    "pending": "bold yellow",
    "asked": "bold yellow",
    "answered": "green",
    "approved": "green",
    "accepted": "green",
    "executed": "green",
    "timed_out": "red",
    "denied": "red",
    "cancelled": "red",
}
STATE_SYMBOL = {"pending": "●", "asked": "?", "timed_out": "○", "denied": "✗", "cancelled": "✗"}


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


def state_style(state: str) -> str:
    return STATE_STYLE.get(state, "")


def state_text(state: str, width: int | None = None) -> Text:
    """`● pending` in the state's colour."""
    style = state_style(state)
    symbol = STATE_SYMBOL.get(state, "✓" if style == "green" else "·")
    text = Text(f"{symbol} ", style=style, no_wrap=True, end="")
    text.append_text(line(state.replace("_", " "), style, None if width is None else width - 2))
    return text


def legend() -> Text:
    """The status symbols, for help screens."""
    out = Text("Statuses: ", style="dim")
    for group, name in (("completed", "completed"), ("failed", "failed"), ("active", "active"),
                        ("paused", "paused"), ("broken", "broken file")):
        out.append(f"{SYMBOLS[group]} {name}", style=STYLES[group])
        out.append("  ")
    out.append("\nHITL: ", style="dim")
    for state in ("pending", "answered", "timed_out", "denied"):
        out.append_text(state_text(state))
        out.append("  ")
    return out
