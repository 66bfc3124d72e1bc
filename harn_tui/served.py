"""Served mode (`harn-tui serve`): what only works with a local terminal is not offered.

In a browser there is no terminal to hand over (`$PAGER`, `$EDITOR` need `App.suspend`) and
the server's folders are not the user's: exports and screenshots go out as downloads
(`App.deliver_text`) instead. Served is detected from the driver (`App.is_web`, textual-serve's
`WebDriver`) or from `HARN_TUI_SERVED=1`, which `harn-tui serve` sets for its app processes.
"""

from __future__ import annotations

import os
from typing import Any

#: Set by `harn-tui serve` in the environment of every app process it starts.
SERVED_ENV = "HARN_TUI_SERVED"
#: Actions that hand the terminal to another program: impossible in a browser.
TERMINAL_ONLY_ACTIONS = frozenset({"pager", "editor"})


def is_served(app: Any) -> bool:
    """True when the app runs in a browser through textual-serve."""
    if os.environ.get(SERVED_ENV) == "1":
        return True
    try:
        return bool(app.is_web)
    except Exception:  # no driver yet
        return False


class TerminalOnlyKeys:
    """Screen mixin: hide (footer, `?` help) and disable terminal-only actions when served."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TERMINAL_ONLY_ACTIONS and is_served(getattr(self, "app", None)):
            return False
        parent = super()
        check = getattr(parent, "check_action", None)
        return check(action, parameters) if check is not None else True
