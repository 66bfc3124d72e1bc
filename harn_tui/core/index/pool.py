"""The process pools that parse run files, at a lower CPU priority when a person is waiting.

In the explorer the cold index and the search index are built while keys must still be
answered at once: on a 2-core machine the pool's workers otherwise take both cores and the
UI process waits its turn (a key while indexing took 200-300 ms at p95). `background=True`
makes each worker `nice` itself, so the scheduler serves the UI first; a headless `ls` or
`grep`, which waits for the pool anyway, keeps normal priority.

Workers are forked only from a process that runs one thread. A fork taken while another
thread holds a lock (an import's, say: the explorer imports lazily on several threads) leaves
that lock held forever in the child, and the worker never answers: the text index then
waited for ever, and so did quitting. The explorer's pools start from a fork server instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

#: how much lower the workers of a background pool run (nice increment)
BACKGROUND_NICENESS = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # no nice() here, or not allowed
        os.nice(BACKGROUND_NICENESS)


#: What a fork server loads once, so each worker it forks starts with the parsers in place.
PRELOAD = ["harn_tui.core.index.run_index", "harn_tui.core.search.store"]


def start_context() -> BaseContext:
    """fork when this process runs one thread (the workers share what is loaded, nothing to
    import); else a fork server, whose workers inherit no other thread's locks."""
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _start_fork_server()
        return context
    return multiprocessing.get_context()  # spawn (Windows): nothing is inherited


_server_lock = threading.Lock()


def _start_fork_server() -> None:
    """Start the fork server (and multiprocessing's resource tracker) once, giving them
    os.devnull as stderr: under Textual `sys.stderr` is a capture whose fileno() is -1, which
    they cannot inherit ("bad value(s) in fds_to_keep")."""
    from multiprocessing import forkserver

    with _server_lock, open(os.devnull, "w") as null:
        saved, sys.stderr = sys.stderr, null
        try:
            forkserver.ensure_running()
        finally:
            sys.stderr = saved


def parse_pool(workers: int, *, background: bool = False) -> ProcessPoolExecutor:
    """A pool of `workers` processes; with `background`, each runs at a lower priority."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=start_context(),
                               initializer=_lower_priority if background else None)
