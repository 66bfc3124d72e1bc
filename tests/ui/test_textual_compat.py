"""Guard for the private Textual API in harn_tui/widgets/textual_compat.py.

If one of these fails after a Textual upgrade, Textual changed a private name the adapter
relies on: fix the adapter (and the tested range in pyproject.toml), nothing else.
"""

from __future__ import annotations

import inspect

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Label, TabbedContent, TabPane, Tabs, Tree
from textual.widgets.tree import TreeNode

from harn_tui.widgets import textual_compat as compat


def test_private_names_the_adapter_uses_still_exist() -> None:
    assert list(inspect.signature(Tree._add_node).parameters)[:4] == [
        "self", "parent", "label", "data"
    ]
    assert list(inspect.signature(Tree._toggle_node).parameters) == ["self", "node"]
    assert callable(Tree._invalidate)
    assert "animate" in inspect.signature(Tabs._highlight_active).parameters
    assert list(inspect.signature(Widget._forward_event).parameters) == ["self", "event"]
    assert issubclass(compat.FooterKey, Widget)
    tree: Tree[int] = Tree("root")
    node = tree.root
    for attr in ("_children", "_updates", "_allow_expand", "_label"):
        assert hasattr(node, attr), attr
    assert isinstance(node._children, list)
    assert isinstance(TreeNode.label.fget(node), Text)  # type: ignore[attr-defined]


class _Lazy(compat.LazyTree[int]):
    opened: list[int]

    def before_expand(self, node: TreeNode[int]) -> None:
        self.opened.append(node.data or 0)
        if not node.children:
            compat.add_children_quietly(
                self, node, [(Text(f"child {i}"), i, i == 1) for i in range(3)]
            )


class _TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        tree = _Lazy("root", data=7)
        tree.opened = []
        tree.root.allow_expand = True
        yield tree


async def test_lazy_tree_builds_children_quietly_before_they_open() -> None:
    app = _TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(_Lazy)
        tree.root.collapse()
        tree.focus()
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert tree.opened == [7]
        assert tree.root.is_expanded
        assert [c.data for c in tree.root.children] == [0, 1, 2]
        assert [c.allow_expand for c in tree.root.children] == [False, True, False]
        assert tree.last_line == 3  # the new children have lines
        first = tree.root.children[0]
        compat.set_label_quietly(first, Text("renamed"))
        assert str(first.label) == "renamed"


class _KeySink(Label, can_focus=True):
    keys: list[str]

    def on_key(self, event: events.Key) -> None:
        self.keys.append(event.key)


class _TabsApp(App[None]):
    def compose(self) -> ComposeResult:
        with TabbedContent():
            with TabPane("One", id="one"):
                yield Label("one")
            with TabPane("Two", id="two"):
                sink = _KeySink("two")
                sink.keys = []
                yield sink


async def test_tab_underline_jumps_and_forwarded_keys_arrive() -> None:
    app = _TabsApp()
    async with app.run_test() as pilot:
        tabs = app.query_one(Tabs)
        animated: list[bool] = []
        original = tabs._highlight_active
        tabs._highlight_active = lambda animate=True: (  # type: ignore[method-assign]
            animated.append(animate), original(animate)
        )
        compat.jump_tab_underline(tabs)
        app.query_one(TabbedContent).active = "two"
        await pilot.pause()
        assert animated and not any(animated)
        sink = app.query_one(_KeySink)
        key = events.Key("x", "x")
        key.set_sender(app)
        compat.forward_key(sink, key)
        await pilot.pause()
        assert sink.keys == ["x"]
        assert key.is_forwarded


def test_private_attributes_of_input_footer_and_app_still_exist() -> None:
    from textual.widgets import Footer, Input

    assert compat.input_suggestion(Input()) == ""
    assert compat.bindings_ready(Footer()) is False
    assert list(inspect.signature(App._refresh_truecolor_filter).parameters) == ["self", "theme"]
