"""The environment a benchmark's child processes run in: harn-tui as a user has it installed.

`pip install .` byte-compiles the package, so a user's process never compiles source; an
editable install under ``PYTHONDONTWRITEBYTECODE`` would compile every module on every start
(30+ ms of a 160 ms warm `grep`). `child_env` compiles the package once and returns an
environment without the harn variables that would point a child at another state dir.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

HARN_VARS = ("HARN_STATE_DIR", "HARN_EVENT_LOG_BACKEND", "HARN_EVENT_LOG_SQLITE_PATH",
             "HARN_EVENT_LOG_DIR")


def child_env(**extra: str) -> dict[str, str]:
    """os.environ for a child process, package byte-compiled, harn variables dropped."""
    import harn_tui

    compileall.compile_dir(Path(harn_tui.__file__).parent, quiet=1)
    env = dict(os.environ, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for key in HARN_VARS:
        env.pop(key, None)
    return env
