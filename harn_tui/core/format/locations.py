"""Where Harn keeps runs, state and the event log, following Harn's own rules (spec §1.1)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from harn_tui.core.format.errors import EventLogError

__all__ = [
    "absolute_path",
    "cache_dir",
    "event_log_candidates",
    "event_log_location",
    "missing_event_log_note",
    "project_of",
    "project_root",
    "resolve_events_arg",
    "run_root",
    "state_root",
]

_BACKENDS = ("sqlite", "file", "memory")


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _cwd(cwd: Path | str | None) -> Path:
    return Path.cwd() if cwd is None else Path(cwd).absolute()


def _env_value(env: Mapping[str, str], key: str) -> str | None:
    """An env value, with empty/whitespace-only values treated as unset."""
    value = env.get(key)
    if value is None or not value.strip():
        return None
    return value


def absolute_path(path: Path | str) -> Path:
    """`path` made absolute once, at the edge: folders with symlinks resolved, a file's
    own name kept (a symlinked run file stays under its root). Watcher events and every
    comparison then see the same spelling, whatever the user typed (`x`, `./x`, `../x`)."""
    target = Path(os.path.expanduser(os.fspath(path)))
    if target.is_file() or (target.is_symlink() and not target.is_dir()):
        return Path(os.path.realpath(target.parent)) / target.name
    return Path(os.path.realpath(target))


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value)
    return candidate if candidate.is_absolute() else base / candidate


def project_root(cwd: Path | str | None = None) -> Path:
    """The nearest ancestor of ``cwd`` (itself included) holding ``harn.toml``, else ``cwd``."""
    start = _cwd(cwd)
    for candidate in (start, *start.parents):
        if (candidate / "harn.toml").is_file():
            return candidate
    return start


def run_root(env: Mapping[str, str] | None = None, cwd: Path | str | None = None) -> Path:
    """``HARN_RUN_DIR`` (relative values resolved against ``cwd``), else ``<cwd>/.harn-runs``."""
    base = _cwd(cwd)
    value = _env_value(_env(env), "HARN_RUN_DIR")
    return _resolve(base, value) if value else base / ".harn-runs"


def state_root(env: Mapping[str, str] | None = None, base: Path | str | None = None) -> Path:
    """``HARN_STATE_DIR`` else ``<base>/.harn``; ``base`` defaults to the project root of cwd."""
    root = project_root() if base is None else Path(base).absolute()
    value = _env_value(_env(env), "HARN_STATE_DIR")
    return _resolve(root, value) if value else root / ".harn"


def project_of(path: Path | str) -> Path | None:
    """The project holding ``path``: the nearest folder at or above it with ``harn.toml``
    or a ``.harn/`` state folder, or None."""
    start = absolute_path(path)
    for candidate in (start, *start.parents):
        if (candidate / "harn.toml").is_file() or (candidate / ".harn").is_dir():
            return candidate
    return None


def _backend(environ: Mapping[str, str]) -> str:
    raw_backend = _env_value(environ, "HARN_EVENT_LOG_BACKEND")
    backend = raw_backend.strip().lower() if raw_backend else "sqlite"
    if backend not in _BACKENDS:
        raise EventLogError(f"unsupported event log backend '{backend}' (HARN_EVENT_LOG_BACKEND)")
    return backend


def event_log_candidates(
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    run_root: Path | str | None = None,
) -> list[tuple[str, Path]]:
    """Where the event log may be, in order: Harn's rules applied from the project that
    holds ``run_root`` (so a root opened from another folder finds its own log), then
    from ``cwd`` (as ``harn portal`` does). Empty for the ``memory`` backend."""
    environ = _env(env)
    backend = _backend(environ)
    if backend == "memory":
        return []
    bases = []
    if run_root is not None:
        holder = project_of(run_root)
        if holder is not None:
            bases.append(holder)
    bases.append(project_root(cwd))
    out: list[tuple[str, Path]] = []
    for base in bases:
        root = state_root(environ, base)
        if backend == "sqlite":
            value = _env_value(environ, "HARN_EVENT_LOG_SQLITE_PATH")
            found = ("sqlite", _resolve(base, value) if value else root / "events.sqlite")
        else:
            value = _env_value(environ, "HARN_EVENT_LOG_DIR")
            found = ("file", _resolve(base, value) if value else root / "events")
        if found not in out:
            out.append(found)
    return out


def event_log_location(
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    run_root: Path | str | None = None,
) -> tuple[str, Path] | None:
    """``(backend, path)`` of the first event log of `event_log_candidates` that exists, or None.

    None when the backend is ``memory`` or no target exists. An unknown
    ``HARN_EVENT_LOG_BACKEND`` raises EventLogError (Harn refuses it too).
    """
    for backend, path in event_log_candidates(env, cwd, run_root):
        if path.is_file() if backend == "sqlite" else path.is_dir():
            return backend, path
    return None


def missing_event_log_note(
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    run_root: Path | str | None = None,
) -> str:
    """One line saying that no event log was found, where it was looked for, and the flag."""
    try:
        looked = [str(path) for _backend_name, path in event_log_candidates(env, cwd, run_root)]
    except EventLogError as exc:
        return f"no event log: {exc.reason}; pass --events PATH to read one"
    if not looked:
        return "no event log (HARN_EVENT_LOG_BACKEND=memory keeps none on disk); pass --events PATH to read one"
    return (
        f"no event log found (looked for {', '.join(looked)}): HITL answers and agent sessions"
        " are not shown; pass --events PATH to read one"
    )


def resolve_events_arg(path: Path | str) -> tuple[str, Path]:
    """Interpret ``--events PATH``: an sqlite file, a file-backend dir, or a state root."""
    target = Path(path)
    if not target.exists():
        raise EventLogError(f"event log not found: {target}")
    if target.is_file():
        return ("sqlite", target)
    if not target.is_dir():
        raise EventLogError(f"not a file or directory: {target}")
    if (target / "topics").is_dir():
        return ("file", target)
    if (target / "events.sqlite").is_file():
        return ("sqlite", target / "events.sqlite")
    if (target / "events").is_dir():
        return ("file", target / "events")
    raise EventLogError(
        f"no event log in {target}: expected events.sqlite, events/ or topics/ inside"
    )


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``HARN_TUI_CACHE_DIR`` else the platform user cache dir for ``harn-tui``."""
    value = _env_value(_env(env), "HARN_TUI_CACHE_DIR")
    if value:
        return Path(value).expanduser().absolute()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("harn-tui"))
