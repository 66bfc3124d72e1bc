"""Opening the event log: a backend by name, or the log Harn would use (spec §4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from harn_tui.core.eventlog.files import FileEventLog
from harn_tui.core.eventlog.protocol import EventLog
from harn_tui.core.eventlog.sqlite import SqliteEventLog
from harn_tui.core.format.errors import EventLogError
from harn_tui.core.format.locations import event_log_location, resolve_events_arg

__all__ = ["open_default_event_log", "open_event_log"]


def open_event_log(backend: str, path: Path | str) -> EventLog:
    """Open a reader for ``backend`` ("sqlite" or "file") at ``path``."""
    from harn_tui.core.format.locations import absolute_path

    kind = backend.strip().lower()
    path = absolute_path(path)  # the watcher compares absolute paths
    if kind == "sqlite":
        return SqliteEventLog(path)
    if kind == "file":
        return FileEventLog(path)
    raise EventLogError(f"unsupported event log backend '{backend}'")


def open_default_event_log(
    events_arg: Path | str | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    run_root: Path | str | None = None,
) -> EventLog | None:
    """Open ``--events PATH`` if given (errors raise), else the log Harn would use for
    ``run_root`` (see `event_log_candidates`), or None."""
    if events_arg is not None:
        target = Path(events_arg)
        if not target.is_absolute() and cwd is not None:
            target = Path(cwd) / target
        return open_event_log(*resolve_events_arg(target))
    found = event_log_location(env, cwd, run_root)
    if found is None:
        return None
    return open_event_log(*found)
