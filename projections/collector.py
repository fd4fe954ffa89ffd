"""Holding Python's cycle collector off while a batch of events is decoded and folded.

A batch keeps every event, row and state it makes alive until it is written, and each of
those objects is a container the cycle collector would traverse again and again while the
batch grows: a third of the time of a fold went there. None of them form cycles, so
reference counting frees them all as soon as the batch is written; the collector runs as
usual between batches and catches anything else.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside; safe to nest and to use from several threads at once."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
