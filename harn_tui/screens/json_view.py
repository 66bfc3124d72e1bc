"""`JsonScreen`: a foldable, lazily built, syntax-coloured JSON tree.

Children are created only when a node is expanded, 500 at a time, so a list
of 50,000 items opens instantly. Nodes deeper than `MAX_DEPTH` are not built;
a placeholder re-roots the view there. Every label is built with
`harn_tui.text` helpers, so record text is never parsed as markup.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

import orjson
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from harn_tui.core.format.errors import HarnTuiError
from harn_tui.core.format.jsonload import decode_json, read_bytes
from harn_tui.core.format.plural import noun
from harn_tui.served import TerminalOnlyKeys
from harn_tui.text import label, line, safe
from harn_tui.widgets.focus import focus_now
from harn_tui.widgets.footer import KeyFooter
from harn_tui.widgets.textual_compat import LazyTree, add_children_quietly, set_label_quietly

#: Children added per expand / "more" press.
CHUNK = 500
#: Relative depth below which nodes are not built (the placeholder re-roots).
MAX_DEPTH = 64
#: Longest string shown in a label.
STRING_PREVIEW = 200
#: Most search matches collected.
MAX_MATCHES = 10_000
#: Most nodes `e` creates in one press.
EXPAND_BUDGET = 20_000

_PENDING = Text("…", end="")
PathT = tuple[str | int, ...]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(slots=True)
class JNode:
    """What a tree node shows: a JSON value, a "more" placeholder or a "deeper" one."""

    kind: str  # "value" | "more" | "deep"
    value: Any
    path: PathT
    depth: int = 0
    loaded: int = 0  # containers: children built so far; "more": next offset
    labelled: bool = True  # False until the label is built (on first render)


def format_path(path: PathT) -> str:
    """`stages[2].attempts[0].error` for a key path."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _IDENT.match(step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step, ensure_ascii=False)}]"
    return out


def compact_json(value: Any) -> str:
    """One-line JSON for copying."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def pretty_json(value: Any) -> str:
    """Indented JSON for reading."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def scalar_text(value: Any) -> Text:
    """A scalar (or container summary) coloured by JSON type."""
    if isinstance(value, dict):
        if not value:
            return line("{}", "dim")
        return label(("{…}", "dim"), (f" {len(value):,} key{'s' if len(value) != 1 else ''}", "dim italic"))
    if isinstance(value, list):
        if not value:
            return line("[]", "dim")
        return label(("[…]", "dim"), (f" {len(value):,} item{'s' if len(value) != 1 else ''}", "dim italic"))
    if isinstance(value, str):
        if len(value) <= STRING_PREVIEW:
            return line(f'"{value}"', "green")
        shown = line(f"({len(value):,} chars, enter to open) ", "dim italic")
        shown.append_text(line(f'"{value[:STRING_PREVIEW]}…', "green"))
        return shown
    if value is None or isinstance(value, bool):
        return line(json.dumps(value), "magenta")
    if isinstance(value, int | float):
        return line(json.dumps(value), "cyan")
    return line(repr(value), "")


def node_label(key: str | int | None, value: Any) -> Text:
    """`key: value` with the key bold (list indexes dim)."""
    out = Text(no_wrap=True, end="")
    if isinstance(key, int):
        out.append_text(line(f"[{key}]", "dim"))
        out.append(" ")
    elif key is not None:
        out.append_text(line(key, "bold"))
        out.append(": ", style="dim")
    out.append_text(scalar_text(value))
    return out


def matches(needle: str, key: str | int | None, value: Any) -> bool:
    """Case-insensitive match on a key or a scalar value."""
    if isinstance(key, str) and needle in key.lower():
        return True
    if isinstance(value, str):
        return needle in value.lower()
    if isinstance(value, dict | list):
        return False
    return needle in json.dumps(value).lower()


def search_value(root: Any, base: PathT, needle: str, limit: int = MAX_MATCHES) -> list[PathT]:
    """Paths (in document order) whose key or scalar value contains `needle`."""
    needle = needle.lower()
    found: list[PathT] = []
    stack: list[tuple[str | int | None, Any, PathT]] = [(None, root, base)]
    while stack and len(found) < limit:
        key, value, path = stack.pop()
        if key is not None and matches(needle, key, value):
            found.append(path)
        if isinstance(value, dict):
            stack.extend((k, v, (*path, k)) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((i, value[i], (*path, i)) for i in range(len(value) - 1, -1, -1))
    return found


def _size(value: Any) -> int:
    return len(value) if isinstance(value, dict | list) else 0


class JsonTree(LazyTree[JNode]):
    """A Tree that builds JSON children lazily, in chunks, down to a depth cap."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
    ]

    def show_value(self, value: Any, base: PathT) -> None:
        """Replace the tree with `value` (found at `base`) as its expanded root."""
        root_label = node_label(None, value)
        prefix = line(format_path(base) or "$", "bold")
        prefix.append(" ")
        prefix.append_text(root_label)
        self.reset(prefix, JNode("value", value, base, 0))
        self.root.allow_expand = _size(value) > 0
        self.populate(self.root)
        self.root.expand()
        self.select(self.root)

    def select(self, node: TreeNode[JNode]) -> None:
        """Move the cursor to `node` (rebuilding line numbers first) and scroll to it."""
        _ = self.last_line  # node lines are stale until the tree is rebuilt; this rebuilds them
        self.move_cursor(node)
        if node.line >= 0:
            self.scroll_to_line(node.line, animate=False)

    def populate(self, node: TreeNode[JNode]) -> int:
        """Build a container node's first children (once). Returns nodes created."""
        data = node.data
        if data is None or data.kind != "value" or data.loaded or not _size(data.value):
            return 0
        if data.depth >= MAX_DEPTH:
            data.loaded = _size(data.value)
            node.add_leaf(
                line("… nested deeper (enter to open here)", "yellow italic"),
                JNode("deep", data.value, data.path, data.depth),
            )
            return 1
        return self.load_until(node, CHUNK)

    def load_until(self, node: TreeNode[JNode], count: int) -> int:
        """Make sure at least `count` children (clamped) of `node` are built."""
        data = node.data
        assert data is not None
        total = _size(data.value)
        end = min(max(count, data.loaded), total)
        if end <= data.loaded:
            return 0
        if node.children and node.children[-1].data and node.children[-1].data.kind == "more":
            node.children[-1].remove()
        start = data.loaded
        value = data.value
        depth = data.depth + 1
        items: Any = (
            islice(value.items(), start, end)
            if isinstance(value, dict)
            else zip(range(start, end), value[start:end], strict=True)
        )
        add_children_quietly(
            self,
            node,
            (
                (_PENDING, JNode("value", child, (*data.path, key), depth, labelled=False),
                 _size(child) > 0)
                for key, child in items
            ),
        )
        data.loaded = end
        if end < total:
            node.add_leaf(
                line(f"… {total - end:,} more (enter to load more)", "yellow italic"),
                JNode("more", None, data.path, depth, end),
            )
        return end - start

    def get_label_width(self, node: TreeNode[JNode]) -> int:
        """Label width without rendering it (an estimate until the label is built)."""
        data = node.data
        if data is not None and not data.labelled:
            return len(str(data.path[-1])) + 24
        return self.ensure_label(node).cell_len + 2

    def render_label(self, node: TreeNode[JNode], base_style: Style, style: Style) -> Text:
        """Build a child's label the first time it is shown (labels cost more than nodes)."""
        self.ensure_label(node)
        return super().render_label(node, base_style, style)

    def ensure_label(self, node: TreeNode[JNode]) -> Text:
        """The node's label, built now if it was deferred."""
        data = node.data
        if data is not None and not data.labelled:
            set_label_quietly(node, node_label(data.path[-1], data.value))
            data.labelled = True
        text = node.label
        return text if isinstance(text, Text) else Text(text)

    def load_more(self, more: TreeNode[JNode]) -> None:
        """Replace a "more" placeholder with the next chunk."""
        parent = more.parent
        if parent is None or parent.data is None:
            return
        index = parent.data.loaded
        self.load_until(parent, parent.data.loaded + CHUNK)
        if index < len(parent.children):
            self.select(parent.children[index])

    def before_expand(self, node: TreeNode[JNode]) -> None:
        """Build a node's first children as it opens."""
        self.populate(node)

    def expand_level(self) -> int:
        """Expand every visible collapsed container by one level. Returns nodes created."""
        frontier: list[TreeNode[JNode]] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.is_expanded:
                stack.extend(reversed(node.children))
            elif node.allow_expand:
                frontier.append(node)
        created = 0
        for node in frontier:
            if created >= EXPAND_BUDGET:
                break
            created += self.populate(node)
            node.expand()
        return created

    def value_of(self, node: TreeNode[JNode] | None) -> Any:
        """The JSON value a node stands for ("more" stands for its parent's)."""
        if node is None or node.data is None:
            return None
        if node.data.kind == "more" and node.parent is not None and node.parent.data is not None:
            return node.parent.data.value
        return node.data.value

    def find_child(self, node: TreeNode[JNode], step: str | int) -> TreeNode[JNode] | None:
        """The child node for key/index `step`, building chunks as needed."""
        data = node.data
        if data is None or data.kind != "value":
            return None
        value = data.value
        if isinstance(value, dict):
            if step not in value:
                return None
            index = next(i for i, k in enumerate(value) if k == step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            index = step
        else:
            return None
        self.populate(node)
        if data.kind != "value" or not node.children or node.children[0].data is None:
            return None
        if node.children[0].data.kind == "deep":
            return None
        self.load_until(node, (index // CHUNK + 1) * CHUNK)
        if not node.is_expanded:
            node.expand()
        return node.children[index]


class JsonScreen(TerminalOnlyKeys, Screen[None]):
    """Browse one JSON value: fold, search, copy, re-root, page."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("y", "copy", "Copy value"),
        Binding("p", "pager", "Pager"),
        Binding("e", "expand_level", "Expand level"),
        Binding("E", "collapse_all", "Collapse all"),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match(1)", "Next match", show=False),
        Binding("N", "next_match(-1)", "Prev match", show=False),
    ]

    class Loaded(Message):
        """The file worker finished: a value, or the reason it failed."""

        def __init__(self, value: Any = None, error: str | None = None) -> None:
            super().__init__()
            self.value = value
            self.error = error

    def __init__(self, value: Any, title: str) -> None:
        super().__init__()
        self.value = value
        self.doc_title = title
        self.path: Path | None = None
        self.loading_file = False
        self.base: PathT = ()
        self.root_stack: list[tuple[Any, PathT]] = []
        self.matches: list[PathT] = []
        self.match_index = -1
        self.query_text = ""

    @classmethod
    def from_file(cls, path: Path, title: str) -> JsonScreen:
        """A screen that parses `path` in a worker thread once mounted."""
        screen = cls(None, title)
        screen.path = Path(path)
        screen.loading_file = True
        return screen

    def compose(self) -> ComposeResult:
        yield Static(id="json-title")
        yield Input(placeholder="search keys and values (enter; n/N next/prev)", id="json-search")
        yield JsonTree(Text("…"), id="json-tree")
        yield Static(id="json-note")
        yield KeyFooter()

    @property
    def tree(self) -> JsonTree:
        return self.query_one(JsonTree)

    def on_mount(self) -> None:
        if self.loading_file:
            self.tree.display = False
            self._note(label(("loading ", "dim italic"), (str(self.path), "dim italic"), ("…", "dim")))
            self.load_file()
        else:
            self._show_root(self.value, ())
            self.tree.focus()
        self._update_title()

    # -- loading ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="json-load")
    def load_file(self) -> None:
        """Read and parse the file off the UI thread."""
        assert self.path is not None
        try:
            value = decode_json(read_bytes(self.path))
        except HarnTuiError as exc:
            self.post_message(self.Loaded(error=exc.reason))
        except Exception as exc:  # never crash the UI on a bad file
            self.post_message(self.Loaded(error=f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(self.Loaded(value))

    def on_json_screen_loaded(self, message: Loaded) -> None:
        self.loading_file = False
        if message.error is not None:
            out = Text("Cannot open ", style="bold red")
            out.append_text(line(str(self.path), "bold"))
            out.append("\n\n")
            out.append_text(safe(message.error, "red"))
            self._note(out)
            return
        self.value = message.value
        self._note(None)
        self.tree.display = True
        self._show_root(self.value, ())
        self.tree.focus()

    def _note(self, text: Text | None) -> None:
        note = self.query_one("#json-note", Static)
        note.update(text or Text())
        note.display = text is not None

    # -- tree -------------------------------------------------------------------

    def _show_root(self, value: Any, base: PathT) -> None:
        self.base = base
        self.tree.show_value(value, base)
        self._note(None)
        self._update_title()

    def reroot(self, value: Any, base: PathT) -> None:
        """Show `value` (at `base`) as the root; escape returns to the previous root."""
        self.root_stack.append((self.tree.root.data.value if self.tree.root.data else None, self.base))
        self._show_root(value, base)

    def _update_title(self) -> None:
        node = self.tree.cursor_node
        path = node.data.path if node is not None and node.data is not None else self.base
        text = label((self.doc_title, "bold"), ("  ", ""), (format_path(path) or "$", "cyan"))
        if self.root_stack:
            text.append_text(line("  (re-rooted: esc to go up)", "dim italic"))
        if self.matches:
            text.append_text(
                line(f"  match {self.match_index + 1}/{len(self.matches):,}", "yellow")
            )
        self.query_one("#json-title", Static).update(text)

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[JNode]) -> None:
        self._update_title()

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[JNode]) -> None:
        data = event.node.data
        if data is None:
            return
        if data.kind == "more":
            self.tree.load_more(event.node)
        elif data.kind == "deep":
            self.reroot(data.value, data.path)
        elif isinstance(data.value, str):
            title = f"{self.doc_title} {format_path(data.path)}".rstrip()
            host: Any = self.app
            if hasattr(host, "open_text"):
                host.open_text(data.value, title)
            else:
                from harn_tui.screens.text_view import TextScreen

                self.app.push_screen(TextScreen(data.value, title))

    # -- actions ----------------------------------------------------------------

    def action_back(self) -> None:
        search = self.query_one("#json-search", Input)
        if search.has_focus:
            search.remove_class("-visible")
            self.tree.focus()
            return
        if self.root_stack:
            value, base = self.root_stack.pop()
            self._show_root(value, base)
            return
        self.app.pop_screen()

    def action_copy(self) -> None:
        if self.loading_file:
            return
        host: Any = self.app
        host.copy_value(compact_json(self.tree.value_of(self.tree.cursor_node)))

    def action_pager(self) -> None:
        if self.loading_file:
            return
        host: Any = self.app
        host.open_in_pager(pretty_json(self.value))

    def action_expand_level(self) -> None:
        if self.tree.expand_level() >= EXPAND_BUDGET:
            self.notify("expanded partially (too many nodes); press e again", markup=False)

    def action_collapse_all(self) -> None:
        tree = self.tree
        tree.root.collapse_all()
        tree.root.expand()
        tree.select(tree.root)

    def action_search(self) -> None:
        if self.loading_file:
            return
        search = self.query_one("#json-search", Input)
        search.add_class("-visible")
        focus_now(search)

    @on(Input.Submitted, "#json-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.input.remove_class("-visible")
        self.tree.focus()
        self.query_text = event.value.strip()
        self.matches, self.match_index = [], -1
        if self.query_text:
            root = self.tree.root.data
            self.run_search(root.value if root else None, self.base, self.query_text)
        self._update_title()

    class SearchDone(Message):
        """A search finished with `found` paths."""

        def __init__(self, needle: str, found: list[PathT]) -> None:
            super().__init__()
            self.needle = needle
            self.found = found

    @work(thread=True, exclusive=True, group="json-search")
    def run_search(self, value: Any, base: PathT, needle: str) -> None:
        """Walk the value off the UI thread."""
        self.post_message(self.SearchDone(needle, search_value(value, base, needle)))

    def on_json_screen_search_done(self, message: SearchDone) -> None:
        if message.needle != self.query_text:
            return
        self.matches = message.found
        if not self.matches:
            self.notify(f"no match for {message.needle}", severity="warning", markup=False)
            self._update_title()
            return
        more = "+" if len(self.matches) >= MAX_MATCHES else ""
        self.notify(f"{len(self.matches):,}{more} {noun(len(self.matches), 'match')}", markup=False)
        self.match_index = -1
        self.action_next_match(1)

    def action_next_match(self, step: int) -> None:
        if not self.matches:
            if self.query_text:
                self.notify("no matches", markup=False)
            return
        self.match_index = (self.match_index + step) % len(self.matches)
        self.reveal(self.matches[self.match_index])
        self._update_title()

    def reveal(self, path: PathT) -> None:
        """Expand down to `path` (re-rooting when it is beyond the depth cap) and select it."""
        if path[: len(self.base)] != self.base and self.root_stack:
            value, base = self.root_stack[0]
            self.root_stack.clear()
            self._show_root(value, base)
        if path[: len(self.base)] != self.base:
            return
        rel = path[len(self.base) :]
        if len(rel) > MAX_DEPTH:
            cut = len(self.base) + len(rel) - MAX_DEPTH // 2
            value = self.tree.root.data.value if self.tree.root.data else None
            for step in rel[: cut - len(self.base)]:
                value = value[step]
            self.reroot(value, path[:cut])
            rel = path[cut:]
        tree = self.tree
        node = tree.root
        for step in rel:
            child = tree.find_child(node, step)
            if child is None:
                break
            node = child
        tree.select(node)
