"""`?`: every key that works on the screen below, generated from the bindings themselves."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

EXTRA = [
    ("ctrl+p", "Command palette: jump to a run, filters, sort, theme"),
    ("tab / shift+tab", "Next / previous pane (run detail)"),
    ("j k ↑ ↓", "Move the cursor"),
    ("g G home end", "First / last row"),
    ("ctrl+d ctrl+u", "Half page down / up"),
    ("enter / double click", "Open the selected item"),
    ("esc", "Back (close this screen, clear the filter)"),
]


def describe_bindings(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) for every active binding on `screen`, merged by action."""
    rows: dict[tuple[str, str], list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        desc = binding.description or binding.action
        if not desc or binding.action in ("command_palette",):
            continue
        display = screen.app.get_key_display(binding)
        rows.setdefault((desc, binding.action), []).append(display or key)
    return [(" ".join(dict.fromkeys(keys)), desc) for (desc, _), keys in rows.items()]


class HelpScreen(ModalScreen[None]):
    """A modal listing every binding of the screen it was opened from."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        table = Text()
        table.append("harn-tui keys\n\n", style="bold")
        seen = set()
        for keys, desc in describe_bindings(self.target) + EXTRA:
            if desc in seen:
                continue
            seen.add(desc)
            table.append(f"{keys:>22}  ", style="bold cyan")
            table.append(f"{desc}\n")
        table.append("\nStatuses: ✓ completed  ✗ failed  ● active  ‖ paused  ! broken file\n", style="dim")
        with VerticalScroll(id="help-body"):
            yield Static(table, id="help-text")

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
