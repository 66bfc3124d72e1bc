"""`?`: the keys of the screen below, grouped by what you do with them, generated from the
bindings themselves (this screen's keys first, then the ones that work everywhere)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from harn_tui.widgets.status import legend

#: Sections in the order they are shown; every binding lands in exactly one.
SECTIONS = ("Navigate", "Filter", "Open", "Debug", "Export")

#: Action name (without arguments or namespace) -> section.
SECTION_OF = {
    **dict.fromkeys(("pane", "next_pane", "back", "dismiss", "close", "first_divergence",
                     "next_difference", "next_diff", "divergence", "toggle_node", "expand_all",
                     "collapse_all", "next_match", "prev_match"), "Navigate"),
    **dict.fromkeys(("focus_filter", "focus_query", "saved_queries", "cycle_status",
                     "cycle_workflow", "cycle_sort", "cycle_state", "clear_filter", "search",
                     "filter"), "Filter"),
    **dict.fromkeys(("open_run", "open", "raw", "raw_run", "raw_file", "compare", "baseline",
                     "swap", "open_text", "open_stage", "open_span", "drill", "full",
                     "broken"), "Open"),
    **dict.fromkeys(("toggle_follow", "scrub", "scrub_end", "next_tool", "next_error",
                     "next_hitl", "play", "speed", "zoom", "pan", "reset_zoom", "zoom_reset",
                     "heat", "reload"), "Debug"),
    **dict.fromkeys(("copy", "pager", "editor", "export", "save_screenshot"), "Export"),
}

#: Textual's generic movement actions: summarised once in Navigate, never listed key by key.
MOVEMENT = {
    "cursor", "cursor_up", "cursor_down", "cursor_left", "cursor_right", "jump", "page",
    "page_up", "page_down", "page_left", "page_right", "scroll_up", "scroll_down",
    "scroll_left", "scroll_right", "scroll_home", "scroll_end", "scroll_top", "scroll_bottom",
    "select", "select_cursor", "focus_next", "focus_previous", "copy_text",
}

#: The movement summary: (keys that must be bound for the line to show, keys shown, text).
MOVEMENT_LINES = (
    (("j", "k", "up", "down"), "j k ↑ ↓", "Move the cursor"),
    (("g", "G", "home", "end"), "g G home end", "First / last row"),
    (("ctrl+d", "ctrl+u", "pagedown", "pageup"), "ctrl+d ctrl+u pgdn pgup", "Half page / page down, up"),
    (("left", "right"), "← →", "Scroll sideways"),
    (("enter",), "enter / double click", "Open the selection (a broken file: why)"),
)

#: Global keys not declared as bindings of the app.
EVERYWHERE_EXTRA = (("^p", "Command palette: jump to a run, filters, sort, theme"),)


def _action_name(action: str) -> str:
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


def section_of(action: str) -> str:
    name = _action_name(action)
    if name in SECTION_OF:
        return SECTION_OF[name]
    for prefix, section in (("open", "Open"), ("export", "Export"), ("copy", "Export"),
                            ("cycle", "Filter"), ("next", "Navigate"), ("prev", "Navigate")):
        if name.startswith(prefix):
            return section
    return "Navigate"


def help_sections(screen: Screen) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(section, [(keys, description)])]: the screen's own keys by section, then `Everywhere`.
    Each key appears once; Textual's generic scrolling keys are one summary, not a list."""
    app = screen.app
    own: dict[str, dict[tuple[str, str], list[str]]] = {name: {} for name in SECTIONS}
    everywhere: dict[tuple[str, str], list[str]] = {}
    bound: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        name = _action_name(binding.action)
        if name == "command_palette":
            continue
        if name in MOVEMENT:
            if name != "copy_text":
                bound.add(key)
            continue
        display = app.get_key_display(binding) or key
        desc = binding.description or name.replace("_", " ")
        target = everywhere if active.node is app else own[section_of(binding.action)]
        target.setdefault((desc, binding.action), []).append(display)
    moves = [(shown, text) for keys, shown, text in MOVEMENT_LINES if bound & set(keys)]
    _merge_panes(own["Navigate"])
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for name in SECTIONS:
        rows = [(" ".join(dict.fromkeys(keys)), desc) for (desc, _), keys in own[name].items()]
        if name == "Navigate":
            rows = moves + rows
        if rows:
            out.append((name, rows))
    rows = [(" ".join(dict.fromkeys(keys)), desc) for (desc, _), keys in everywhere.items()]
    out.append(("Everywhere", rows + list(EVERYWHERE_EXTRA)))
    return out


def _merge_panes(rows: dict[tuple[str, str], list[str]]) -> None:
    """`1`…`8` (one binding per pane) as one line: `1-8  Panes: Stages, Child runs, …`."""
    panes = [(desc, keys) for (desc, action), keys in rows.items() if _action_name(action) == "pane"]
    if len(panes) < 3:
        return
    for (desc, action) in [k for k in rows if _action_name(k[1]) == "pane"]:
        del rows[(desc, action)]
    first, last = panes[0][1][0], panes[-1][1][0]
    merged = {("Panes: " + ", ".join(desc for desc, _k in panes), "pane"): [f"{first}-{last}"]}
    rest = dict(rows)
    rows.clear()
    rows.update(merged)
    rows.update(rest)


class HelpScreen(ModalScreen[None]):
    """A modal listing every key of the screen it was opened from; j/k scroll it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False),
        Binding("space,pagedown,ctrl+d", "scroll_page(1)", "Page down", show=False),
        Binding("pageup,ctrl+u", "scroll_page(-1)", "Page up", show=False),
        Binding("g,home", "scroll_to(0)", "Top", show=False),
        Binding("G,end", "scroll_to(-1)", "Bottom", show=False),
    ]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        table = Text()
        table.append(f"harn-tui keys — {self.target.__class__.__name__.removesuffix('Screen')}", style="bold")
        table.append("   (j/k scroll, esc closes)\n", style="dim")
        for section, rows in help_sections(self.target):
            table.append(f"\n{section}\n", style="bold underline")
            for keys, desc in rows:
                table.append(f"{keys:>24}  ", style="bold")
                table.append(f"{desc}\n")
        table.append("\n")
        table.append_text(legend())
        with VerticalScroll(id="help-body"):
            yield Static(table, id="help-text")

    @property
    def body(self) -> VerticalScroll:
        return self.query_one("#help-body", VerticalScroll)

    def action_scroll(self, lines: int) -> None:
        self.body.scroll_relative(y=lines, animate=False)

    def action_scroll_page(self, pages: int) -> None:
        self.body.scroll_relative(y=pages * max(1, self.body.size.height - 1), animate=False)

    def action_scroll_to(self, where: int) -> None:
        self.body.scroll_to(y=0 if where == 0 else self.body.max_scroll_y, animate=False)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
