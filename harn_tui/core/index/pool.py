"""The process pools that parse run files, at a lower CPU priority when a person is waiting.

In the explorer the cold index and the search index are built while keys must still be
answered at once: on a 2-core machine the pool's workers otherwise take both cores and the
UI process waits its turn (a key while indexing took 200-300 ms at p95). `background=True`
makes each worker `nice` itself, so the scheduler serves the UI first; a headless `ls` or
`grep`, which waits for the pool anyway, keeps normal priority.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor

#: how much lower the workers of a background pool run (nice increment)
BACKGROUND_NICENESS = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # no nice() here, or not allowed
        os.nice(BACKGROUND_NICENESS)


def parse_pool(workers: int, *, background: bool = False) -> ProcessPoolExecutor:
    """A pool of `workers` processes; with `background`, each runs at a lower priority."""
    return ProcessPoolExecutor(max_workers=workers,
                               initializer=_lower_priority if background else None)
