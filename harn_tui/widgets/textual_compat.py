"""The only place harn-tui touches private Textual API (tested range: see pyproject.toml).

Each helper wraps one private name that Textual offers no public way to reach; the guard
test ``tests/ui/test_textual_compat.py`` fails loudly when a Textual upgrade changes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from textual.widgets import Tree
from textual.widgets._footer import FooterKey  # not exported by textual.widgets

if TYPE_CHECKING:
    from rich.terminal_theme import TerminalTheme
    from rich.text import Text
    from textual import events
    from textual.app import App
    from textual.widget import Widget
    from textual.widgets import Footer, Input, Tabs
    from textual.widgets.tree import TreeNode

__all__ = [
    "FooterKey",
    "LazyTree",
    "add_children_quietly",
    "bindings_ready",
    "forward_key",
    "input_suggestion",
    "jump_tab_underline",
    "refresh_truecolor_filter",
    "set_label_quietly",
]

T = TypeVar("T")


def forward_key(widget: Widget, key: events.Key) -> None:
    """Deliver `key` to `widget` as a forwarded event (as Textual does for the focused widget)."""
    widget._forward_event(key)


def input_suggestion(widget: Input) -> str:
    """The completion an Input currently shows as ghost text ("" for none)."""
    return widget._suggestion


def bindings_ready(footer: Footer) -> bool:
    """Whether a Footer has received its screen's bindings yet."""
    return footer._bindings_ready


def refresh_truecolor_filter(app: App[object], theme: TerminalTheme) -> None:
    """Re-map ANSI colours to truecolor for `theme` (Textual does this only on dark/light)."""
    app._refresh_truecolor_filter(theme)


def jump_tab_underline(tabs: Tabs) -> None:
    """Make the underline of `tabs` jump to the active tab instead of sliding for 0.3 s."""
    highlight = tabs._highlight_active
    tabs._highlight_active = lambda animate=True: highlight(animate=False)  # type: ignore[method-assign]


def add_children_quietly(
    tree: Tree[T], parent: TreeNode[T], children: Iterable[tuple[Text, T, bool]]
) -> None:
    """Append `(label, data, allow_expand)` children to `parent`, invalidating the tree once.

    `TreeNode.add` invalidates the whole tree per call (O(n²) for a chunk of children).
    """
    siblings = parent._children
    for label, data, allow_expand in children:
        node = tree._add_node(parent, label, data)
        node._allow_expand = allow_expand
        siblings.append(node)
    parent._updates += 1
    tree._invalidate()


def set_label_quietly(node: TreeNode[T], label: Text) -> None:
    """Replace a node's label while it is being rendered (no refresh is scheduled)."""
    node._label = label


class LazyTree(Tree[T]):
    """A Tree that calls :meth:`before_expand` before a node is expanded by key or click."""

    def before_expand(self, node: TreeNode[T]) -> None:
        """Override to build `node`'s children just before it opens."""

    def _toggle_node(self, node: TreeNode[T]) -> None:
        if not node.is_expanded:
            self.before_expand(node)
        super()._toggle_node(node)
