"""Messages that carry data from workers to screens (workers never touch widgets)."""

from __future__ import annotations

from textual.message import Message

from harn_tui.core.index.summary import RunSummary


class RunsChanged(Message):
    """Summaries were added or changed (`changed`) or removed (`removed`, rel paths)."""

    def __init__(
        self,
        changed: list[RunSummary],
        removed: list[str],
        *,
        done: bool = False,
        hitl_changed: bool = False,
    ) -> None:
        super().__init__()
        self.changed = changed
        self.removed = removed
        self.done = done
        self.hitl_changed = hitl_changed


class RootStatus(Message):
    """The run root appeared, disappeared or could not be read."""

    def __init__(self, present: bool, reason: str | None = None) -> None:
        super().__init__()
        self.present = present
        self.reason = reason


class RunFileChanged(Message):
    """A run file changed on disk (the open detail view may refresh)."""

    def __init__(self, rel: str, deleted: bool = False) -> None:
        super().__init__()
        self.rel = rel
        self.deleted = deleted


class EventLogChanged(Message):
    """New rows arrived in the event log (topics named, when known)."""

    def __init__(self, topics: set[str] | None = None) -> None:
        super().__init__()
        self.topics = topics


class SearchIndexChanged(Message):
    """The full-text index was built further or updated (search results may change)."""
