"""Watching the run root and the event log: change batches with no UI knowledge.

Native events by default (watchfiles' Rust notify backend, no busy polling);
`poll_seconds` switches to polling for file systems where events do not arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from harn_tui.core.index.discovery import is_candidate_name, is_ignored_name

#: Group changes for at most this long before yielding (keeps write→screen latency low).
DEBOUNCE_MS = 60
#: A file that fails to parse right after a change is read again after these delays (seconds)
#: before it is shown broken: Harn may be half-way through rewriting it.
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)
STEP_MS = 15


class WatchFailed(RuntimeError):
    """The native watcher stopped: watchfiles raises (inside an exception group) for an
    event it cannot report, such as a file name that is not UTF-8. Changes of that batch
    were not seen; the caller rescans and watches again."""


def _unwrapped(group: ExceptionGroup) -> WatchFailed:
    first: BaseException = group
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return WatchFailed(str(first))


@dataclass
class ChangeBatch:
    """Run files that changed (or were deleted), and whether anything else moved."""

    changed: set[Path] = field(default_factory=set)
    deleted: set[Path] = field(default_factory=set)
    dirs_changed: bool = False


def run_file_filter(change: object, path: str) -> bool:
    """Keep run-file candidates and folders; drop temp files, dot names, sidecars."""
    name = Path(path).name
    if is_ignored_name(name):
        return False
    return is_candidate_name(name) or "." not in name


def classify(changes: set[tuple[object, str]], root: Path) -> ChangeBatch:
    """Turn watchfiles' (Change, path) pairs into a ChangeBatch of run files."""
    from watchfiles import Change

    batch = ChangeBatch()
    for change, raw in changes:
        path = Path(raw)
        try:
            rel_parts = path.relative_to(root).parts
        except ValueError:
            continue
        if any(is_ignored_name(part) for part in rel_parts):
            continue
        if not is_candidate_name(path.name):
            batch.dirs_changed = True  # a folder appeared, moved or vanished
            continue
        if change == Change.deleted and not path.exists():
            batch.deleted.add(path)
            batch.changed.discard(path)
        else:
            batch.changed.add(path)
            batch.deleted.discard(path)
    return batch


def _awatch_options(watch_filter: Callable[[object, str], bool], recursive: bool,
                    poll_seconds: float | None, stop_event: object | None) -> dict[str, object]:
    """watchfiles' `awatch` settings: native events, or polling every `poll_seconds`."""
    kwargs: dict[str, object] = {"watch_filter": watch_filter, "debounce": DEBOUNCE_MS,
                                 "step": STEP_MS, "recursive": recursive}
    if poll_seconds is not None:
        kwargs["force_polling"] = True
        kwargs["poll_delay_ms"] = max(int(poll_seconds * 1000), 10)
    if stop_event is not None:
        kwargs["stop_event"] = stop_event
    return kwargs


async def watch_root(
    root: Path, *, poll_seconds: float | None = None, stop_event: object | None = None
) -> AsyncIterator[ChangeBatch]:
    """Yield change batches under `root` until it disappears or `stop_event` is set."""
    from watchfiles import awatch

    from harn_tui.core.format.locations import absolute_path

    root = absolute_path(root)  # events arrive as absolute paths
    kwargs = _awatch_options(run_file_filter, True, poll_seconds, stop_event)
    try:
        async for changes in awatch(root, **kwargs):  # type: ignore[arg-type]
            batch = classify(changes, root)
            if batch.changed or batch.deleted or batch.dirs_changed:
                yield batch
    except ExceptionGroup as group:
        raise _unwrapped(group) from group


async def watch_files(
    paths: list[Path], *, poll_seconds: float | None = None, stop_event: object | None = None
) -> AsyncIterator[set[Path]]:
    """Yield which of `paths` changed, watching their folders non-recursively."""
    from watchfiles import awatch

    wanted = {p.resolve() for p in paths}
    folders = sorted({p if p.is_dir() else p.parent for p in wanted if p.exists() or p.parent.exists()})
    if not folders:
        return

    def wanted_path(_change: object, path: str) -> bool:
        resolved = Path(path).resolve()
        return resolved in wanted or any(resolved.is_relative_to(w) for w in wanted if w.is_dir())

    kwargs = _awatch_options(wanted_path, False, poll_seconds, stop_event)
    try:
        async for changes in awatch(*folders, **kwargs):  # type: ignore[arg-type]
            yield {Path(raw) for _change, raw in changes}
    except ExceptionGroup as group:
        raise _unwrapped(group) from group
