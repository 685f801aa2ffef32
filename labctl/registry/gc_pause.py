"""The cyclic garbage collector held off while the outbox reads and pushes a batch.

Reading a record builds a few hundred small objects (its document, its validated
model), and a batch of 200 records keeps some 100,000 of them alive until it is
stored. CPython's collector counts them as they are made: every few records it runs,
and every few batches it walks *all* the objects of the process (every module, class
and function imported). In ``labctl registry deliver`` of 2,000 records those full
walks took 0.97 s of the 4.3 s the command ran (11 of them, counted with
``gc.callbacks``). The objects of a batch hold no reference cycles: their reference
counts free them when the batch is done, collector or not; holding it off for the
batch only defers the cycles made meanwhile to the next collection after it.

Nested holds share one count: the collector runs again when the last one ends, if it
ran before the first began. Only the outbox's delivery, one batch at a time, holds it;
the service does not (its threads could overlap their holds for as long as requests
keep coming).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holds = 0
_was_enabled = False


@contextmanager
def collector_held() -> Iterator[None]:
    """Hold the cyclic garbage collector off for the ``with`` block (see the module)."""
    global _holds, _was_enabled
    with _lock:
        if _holds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holds += 1
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            if _holds == 0 and _was_enabled:
                gc.enable()
