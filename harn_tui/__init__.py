"""harn-tui: a terminal explorer for Harn run records."""

__version__ = "0.1.0"
