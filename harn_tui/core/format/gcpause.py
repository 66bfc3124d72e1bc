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
    to freeze the screen. Once `freeze_long_lived` has run, the new objects stay frozen
    instead (refcounting still frees them; the collector just never rescans them).
    Nested pauses are fine (only the outermost one resumes).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            if not _frozen_once:  # after `freeze_long_lived`, unfreezing would undo it
                gc.unfreeze()
            gc.enable()


#: Full (oldest-generation) collections run this many times rarer than Python's default
#: (10): each one walks every long-lived object, 110-700 ms at the explorer's scale.
GEN2_THRESHOLD = 100

_frozen_once = False


def freeze_long_lived() -> None:
    """Once the first index is in: move every object alive now out of the collector's
    reach (`gc.freeze`: they live as long as the app) and make full collections rarer,
    so a full pass no longer rescans them while live updates stream in. Idempotent."""
    global _frozen_once
    if _frozen_once:
        return
    _frozen_once = True
    gc.freeze()
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, GEN2_THRESHOLD)
