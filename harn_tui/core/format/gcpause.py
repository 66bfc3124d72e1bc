"""Pausing the cyclic garbage collector while bulk-building parsed data."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # pauses open now, on every thread
_resume = False  # whether the GC was on when the first of them began


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC during bulk parsing: the objects made are acyclic trees, and
    repeated collections over them cost more than the parse itself.

    On the way out the new objects are promoted straight to the oldest generation
    (`freeze` + `unfreeze`), so re-enabling the GC does not start with a young-generation
    pass over all of them: on a UI's worker thread, that pass holds the GIL long enough
    to freeze the screen. Pauses nest, on one thread or across threads: the GC resumes when
    the last open pause ends, so a short pause on one worker never turns the GC back on in
    the middle of another worker's bulk load.
    """
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.freeze()
                gc.unfreeze()
                gc.enable()
