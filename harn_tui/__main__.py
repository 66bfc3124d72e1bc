"""`python -m harn_tui`."""

from harn_tui.cli import entry

entry()
