"""Messages: data from workers to the App (workers never touch widgets), and requests
from widgets to the App (widgets never reach into it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from harn_tui.core.index.summary import RunSummary

if TYPE_CHECKING:
    from harn_tui.core.format.normalize import RunDetail


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


class EventLogLoaded(Message):
    """The event log was looked for: opened, failed (`event_log_error`) or not found."""


class EventLogAppeared(Message):
    """An event log now exists where Harn's rules look (there was none at start-up)."""


class EventLogChanged(Message):
    """New rows arrived in the event log (topics named, when known)."""

    def __init__(self, topics: set[str] | None = None) -> None:
        super().__init__()
        self.topics = topics


class SearchIndexChanged(Message):
    """The full-text index was built further or updated (search results may change)."""


# -- requests from widgets ----------------------------------------------------------
# Widgets never reach into the App: they post one of these and it bubbles up to the
# App (`HarnTuiApp.on_open_json`, ...), which opens the screen or does the hand-off.


class OpenJson(Message):
    """Show a JSON value (or, with `path`, a JSON file read off disk) in the JSON viewer."""

    def __init__(self, value: Any, title: str, *, path: Path | None = None) -> None:
        super().__init__()
        self.value = value
        self.title = title
        self.path = path


class OpenText(Message):
    """Show a plain text in the text viewer."""

    def __init__(self, text: str, title: str) -> None:
        super().__init__()
        self.text = text
        self.title = title


class OpenRun(Message):
    """Open a run file's detail (`trail`: the breadcrumbs that led there)."""

    def __init__(self, path: Path, *, trail: list[str] | None = None) -> None:
        super().__init__()
        self.path = path
        self.trail = trail or []


class OpenStage(Message):
    """Open stage `index` of a loaded run."""

    def __init__(self, detail: RunDetail, index: int) -> None:
        super().__init__()
        self.detail = detail
        self.index = index


class Copy(Message):
    """Copy a text to the clipboard (and say so)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
