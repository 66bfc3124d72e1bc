"""Pausing the cyclic garbage collector while bulk-building parsed data."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC during bulk parsing: the objects made are acyclic trees, and
    repeated collections over them cost more than the parse itself.

    On the way out the new objects are promoted straight to the oldest generation
    (`freeze` + `unfreeze`), so re-enabling the GC does not start with a young-generation
    pass over all of them: on a UI's worker thread, that pass holds the GIL long enough
    to freeze the screen. Nested pauses are fine (only the outermost one resumes).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
