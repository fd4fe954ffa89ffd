"""Handing what the outbox wrote to Temporal without holding the outbox up.

The outbox commits a delivery or a reminder, then hands its id over: a workflow named after
it is started. Waiting for each start would make the outbox as slow as a round trip to
Temporal per event, and under load it would fall behind the record. So the starts run on
the worker's event loop while the outbox goes on; at most `IN_FLIGHT` are outstanding (then
the outbox waits: back-pressure, not an unbounded queue). A start that fails (Temporal away)
is tried again on the loop with growing pauses; one that finds its workflow already started
counts as done, so handing over twice starts nothing twice. Each id is marked handed over
once its workflow runs; what a crash left unmarked is handed over again when the outbox
starts (`projections.outbox`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

import structlog

log = structlog.get_logger(__name__)

IN_FLIGHT = 256
RETRY_FIRST_SECONDS = 1.0
RETRY_MOST_SECONDS = 60.0


class Handover:
    """Calls `start(id)` on `loop` for every id it is given, and `mark(ids)` (in a thread)
    once they started; called from the outbox's thread."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        start: Callable[[str], Awaitable[object]],
        mark: Callable[[list[UUID]], None],
        what: str,
    ) -> None:
        self.loop = loop
        self.start = start
        self.mark = mark
        self.what = what
        self.slots = threading.BoundedSemaphore(IN_FLIGHT)

    def __call__(self, ids: Sequence[UUID]) -> None:
        for one in ids:
            self.slots.acquire()
            try:
                asyncio.run_coroutine_threadsafe(self._start(one), self.loop)
            except RuntimeError:  # the loop has closed: the process is stopping
                self.slots.release()
                raise

    async def _start(self, one: UUID) -> None:
        pause = RETRY_FIRST_SECONDS
        try:
            while True:
                try:
                    await self.start(str(one))
                    break
                except Exception as error:
                    log.warning(f"{self.what}_start_failed", id=str(one), error=str(error))
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, RETRY_MOST_SECONDS)
            await asyncio.to_thread(self.mark, [one])
        except Exception:
            log.exception(f"{self.what}_not_marked", id=str(one))
        finally:
            self.slots.release()
