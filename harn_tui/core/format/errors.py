"""The single error type the data layer raises, carrying a one-line reason."""

from __future__ import annotations


class HarnTuiError(Exception):
    """A failure with a one-line, user-facing reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = " ".join(str(reason).split()) or "unknown error"

    def __str__(self) -> str:
        return self.reason


class LoadError(HarnTuiError):
    """A run file (or a line, or a row) that could not be loaded."""


class EventLogError(HarnTuiError):
    """The event log could not be opened or read."""


class UsageError(HarnTuiError):
    """A mistake in how the user invoked a command (exit code 2)."""
