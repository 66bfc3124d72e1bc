"""The footer: as many of the screen's keys as fit, the essential ones always (the rest are
in `?`), rebuilt only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts every key) on each focus change; in the
run detail every pane switch moves focus, and that rebuild was the largest single cost
of switching panes (profiled with py-spy in `bench/bench_switch.py`).
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from harn_tui.widgets.textual_compat import FooterKey, bindings_ready

#: Actions that always get a place in the footer, in this order of priority.
ESSENTIAL = ("help", "quit", "app.quit", "back", "dismiss", "app.pop_screen", "close")


def key_width(key: FooterKey) -> int:
    """Cells a footer key takes (Textual's padding: one each side of the key, one after)."""
    width = cell_len(key.key_display) + 2 + (cell_len(key.description) + 1 if key.description else 0)
    return width + (1 if key.has_class("-command-palette") else 0)  # its left border


def fitting(keys: list[FooterKey], width: int) -> list[FooterKey]:
    """The keys to show in `width` cells: essential ones first, then the others in order;
    shown in their original order."""
    rank = {action: i for i, action in enumerate(ESSENTIAL)}
    order = sorted(range(len(keys)), key=lambda i: (rank.get(keys[i].action, len(rank)), i))
    kept: set[int] = set()
    used = 0
    for i in order:
        need = key_width(keys[i])
        if used + need <= width:
            kept.add(i)
            used += need
    return [key for i, key in enumerate(keys) if i in kept]


def _shown(screen: Screen[Any]) -> tuple[Any, ...]:
    return tuple(
        (binding.key, binding.action, binding.description, enabled, tooltip)
        for (_, binding, enabled, tooltip) in screen.active_bindings.values()
        if binding.show
    )


class KeyFooter(Footer):
    """A `Footer` that never cuts a key and never redraws the same keys again."""

    _shown_keys: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        palette = [w for w in widgets if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        keys = [w for w in widgets if isinstance(w, FooterKey) and w not in palette]
        others = [w for w in widgets if not isinstance(w, FooterKey)]
        width = (self.size.width or self.app.size.width) - sum(key_width(w) for w in palette)
        yield from others
        yield from fitting(keys, width)
        yield from palette

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != getattr(self, "_composed_width", None):
            self._composed_width = event.size.width
            self.call_after_refresh(self.recompose)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen and bindings_ready(self):
            shown = _shown(screen)
            if shown == self._shown_keys:
                return
            self._shown_keys = shown
        super().bindings_changed(screen)
