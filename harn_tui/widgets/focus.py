"""Move focus now, not after the queued keys: a burst typed after `/` or `:` lands in the input."""

from __future__ import annotations

from textual.widget import Widget


def focus_now(widget: Widget) -> None:
    """Focus `widget` synchronously (Textual's `focus()` waits for the message queue, so keys
    already queued — a paste, tmux `send-keys`, a fast typist — would reach the old widget)."""
    widget.screen.set_focus(widget)
    if widget.screen.focused is not widget:  # not focusable yet (just shown): Textual's way
        widget.focus()
