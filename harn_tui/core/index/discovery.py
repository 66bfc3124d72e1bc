"""Finding run files: a recursive walk of the run root.

Rules (spec §1.2, §1.4): keep regular files ending `.json`; ignore names ending
`.tmp` and names starting with `.` (files and folders); follow symlinked folders
once (no loops). What cannot be read is reported, never silently dropped.
"""

from __future__ import annotations

import errno
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


def walk(root: Path, folders: set[str] | None = None) -> Iterator[FoundFile]:
    """Yield every candidate run file under `root` (in directory order; callers sort).

    Real folders cannot form loops (no hard links to folders), so only symlinked ones
    are stat'ed and checked against every folder already entered. Plain files cost one
    `stat` each (their size and mtime key the cache). With `folders`, the relative path
    of every folder met (real or linked, entered or not) is added to it.
    """
    try:
        st = os.stat(root)
    except OSError:
        return
    device = st.st_dev
    visited: set[tuple[int, int]] = {(device, st.st_ino)}
    stack: list[tuple[str, str]] = [(os.fspath(root), "")]
    regular = stat.S_ISREG
    while stack:
        folder, prefix = stack.pop()
        try:
            it = os.scandir(folder)
        except OSError as exc:
            if prefix:  # the root itself failing is the caller's business
                yield FoundFile(folder, prefix.rstrip("/"), error=_os_reason("cannot read folder", exc))
            continue
        with it:
            for entry in it:
                name = entry.name
                if name[0] == "." or name.endswith(".tmp"):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if folders is not None:
                            folders.add(prefix + name)
                        key = (device, entry.inode())
                        if key not in visited:  # already entered through a symlink
                            visited.add(key)
                            stack.append((entry.path, prefix + name + "/"))
                        continue
                    linked = entry.is_symlink()
                except OSError:
                    linked = False
                if linked:
                    found = _linked(entry, prefix + name, visited, stack, folders)
                    if found is not None:
                        yield found
                    continue
                if not name.endswith(".json"):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    yield FoundFile(entry.path, prefix + name, error=_os_reason("cannot stat", exc))
                    continue
                if not regular(st.st_mode):
                    yield FoundFile(entry.path, prefix + name, error="not a regular file")
                    continue
                yield FoundFile(entry.path, prefix + name, st.st_size, st.st_mtime_ns)


def _linked(
    entry: os.DirEntry[str], rel: str, visited: set[tuple[int, int]], stack: list[tuple[str, str]],
    folders: set[str] | None = None,
) -> FoundFile | None:
    """A symlink: follow it once to a folder (no loops) or a run file; report broken ones."""
    try:
        st = entry.stat()  # follows the link
    except OSError as exc:
        if rel.endswith(".json"):
            loop = exc.errno == errno.ELOOP
            return FoundFile(entry.path, rel, error="symlink loop" if loop else "broken symlink")
        return None
    if stat.S_ISDIR(st.st_mode):
        if folders is not None:
            folders.add(rel)
        key = (st.st_dev, st.st_ino)
        if key not in visited:  # a loop, or a second link to the same folder
            visited.add(key)
            stack.append((entry.path, rel + "/"))
        return None
    if not rel.endswith(".json"):
        return None
    if not stat.S_ISREG(st.st_mode):
        return FoundFile(entry.path, rel, error="not a regular file")
    return FoundFile(entry.path, rel, st.st_size, st.st_mtime_ns)


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
