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


# A small process that starts the measured one and reports its seconds and peak RSS. Linux
# counts the RSS of the process a child was forked from (until exec) in the child's peak, so
# measured from the benchmark itself (hundreds of MB of earlier output), the figure is the
# benchmark's, not harn-tui's.
_LAUNCHER = r"""
import resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - t0
with open(sys.argv[1], "w") as out:
    out.write(f"{seconds} {code} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""


def run_measured(argv: list[str], env: dict[str, str],
                 cwd: str | None = None) -> tuple[float, bytes, bytes, int, int]:
    """(seconds, stdout, stderr, exit code, peak RSS in MB) of one child process, both
    measured by a small launcher process (see `_LAUNCHER`)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, report.name, *argv], env=env,
                              cwd=cwd or tempfile.gettempdir(), capture_output=True, check=False)
        seconds, code, rss_kb = report.read().split()
    return float(seconds), proc.stdout, proc.stderr, int(code), int(rss_kb) // 1024
