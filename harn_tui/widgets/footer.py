"""A Footer that rebuilds its keys only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts every key) on each focus change; in the
run detail every pane switch moves focus, and that rebuild was the largest single cost
of switching panes (profiled with py-spy in `bench/bench_switch.py`).
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


def _shown(screen: Screen[Any]) -> tuple[Any, ...]:
    return tuple(
        (binding.key, binding.action, binding.description, enabled, tooltip)
        for (_, binding, enabled, tooltip) in screen.active_bindings.values()
        if binding.show
    )


class QuietFooter(Footer):
    """`Footer`, minus the rebuilds that would draw the same keys again."""

    _shown_keys: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen and self._bindings_ready:
            shown = _shown(screen)
            if shown == self._shown_keys:
                return
            self._shown_keys = shown
        super().bindings_changed(screen)
