"""Finding run files: a recursive walk of the run root.

Rules (spec §1.2, §1.4): keep regular files ending `.json`; ignore names ending
`.tmp` and names starting with `.` (files and folders); follow symlinked folders
once (no loops). What cannot be read is reported, never silently dropped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple


class FoundFile(NamedTuple):
    """One candidate run file (or an unreadable place, with `error` set).

    `path` is whatever the walk had at hand (a `str` from the fast walk, or a `Path`).
    """

    path: Path | str
    rel: str
    size: int = 0
    mtime_ns: int = 0
    error: str | None = None


def is_ignored_name(name: str) -> bool:
    """Temp files and dot-files are never run files."""
    return name.startswith(".") or name.endswith(".tmp")


def is_candidate_name(name: str) -> bool:
    """A name that may hold a run record."""
    return name.endswith(".json") and not is_ignored_name(name)


def walk(root: Path) -> Iterator[FoundFile]:
    """Yield every candidate run file under `root` (in directory order; callers sort)."""
    root = Path(root)
    visited: set[tuple[int, int]] = set()
    try:
        st = root.stat()
        visited.add((st.st_dev, st.st_ino))
    except OSError:
        return
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            if prefix:  # the root itself failing is the caller's business
                yield FoundFile(
                    folder, prefix.rstrip("/"), error=_os_reason("cannot read folder", exc)
                )
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            if is_ignored_name(name):
                continue
            rel = prefix + name
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if is_dir:
                try:
                    st = entry.stat()
                except OSError as exc:
                    yield FoundFile(entry.path, rel, error=_os_reason("cannot read folder", exc))
                    continue
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    continue  # a symlink loop or a second link to the same folder
                visited.add(key)
                subdirs.append((entry.path, rel + "/"))
                continue
            if not name.endswith(".json"):
                continue
            try:
                st = entry.stat()
            except OSError as exc:
                reason = "broken symlink" if entry.is_symlink() else _os_reason("cannot stat", exc)
                yield FoundFile(entry.path, rel, error=reason)
                continue
            if not _is_regular(st.st_mode):
                yield FoundFile(entry.path, rel, error="not a regular file")
                continue
            yield FoundFile(entry.path, rel, st.st_size, st.st_mtime_ns)
        stack.extend(reversed(subdirs))


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


def _os_reason(what: str, exc: OSError) -> str:
    detail = os.strerror(exc.errno) if exc.errno else str(exc)
    return f"{what}: {detail.lower()}"


def stat_file(path: Path, rel: str) -> FoundFile:
    """Stat one known path (used for incremental updates)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return FoundFile(path, rel, error="file not found (deleted or moved)")
    except OSError as exc:
        return FoundFile(path, rel, error=_os_reason("cannot stat", exc))
    if not _is_regular(st.st_mode):
        reason = "is a directory, not a file" if path.is_dir() else "not a regular file"
        return FoundFile(path, rel, error=reason)
    return FoundFile(path, rel, st.st_size, st.st_mtime_ns)
