"""Writing folded batches on a thread of their own, in order, while the next batch folds.

Catching up is two kinds of work: reading, decoding and folding events is Python's, and
writing the rows is mostly PostgreSQL's. Done one after the other, each waits for the other;
with a writer thread they overlap, because the thread waiting on the database lets go of the
interpreter. Each batch is still one transaction with its tracking position, committed in
log order, so a crash at any point resumes exactly where the last commit left off.
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType

from eventsourcing.persistence import Tracking

from projections.fold import PartitionedRows, Rows
from projections.metrics import PROJECTOR_APPLIED, PROJECTOR_POSITION
from projections.view import ReadModelView, Role

# Batches folded ahead of the one being written: enough to keep both sides busy, few enough
# that memory stays bounded by a handful of batches.
DEPTH = 2


class BatchWriter:
    """Commits `Rows` in the order submitted; the first failure is raised to the submitter."""

    def __init__(self, view: ReadModelView, role: Role) -> None:
        self.view = view
        self.role = role
        self.applied = 0
        self._queue: queue.Queue[tuple[Rows | PartitionedRows, int, Tracking, int] | None] = (
            queue.Queue(DEPTH)
        )
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="read-model-writer", daemon=True)

    def __enter__(self) -> BatchWriter:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._queue.put(None)
        self._thread.join()
        if kind is None:
            self._raise()

    def submit(
        self, rows: Rows | PartitionedRows, *, after: int, last: Tracking, events: int
    ) -> None:
        """Queue the rows of the `events` after position `after`, up to `last`."""
        self._raise()
        self._queue.put((rows, after, last, events))

    def drain(self) -> None:
        """Wait until everything submitted is committed (before reading the view back)."""
        self._queue.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    rows, after, last, events = item
                    if self.view.apply_rows(rows, after=after, last=last, role=self.role):
                        self.applied += events
                        PROJECTOR_APPLIED.inc(events)
                    PROJECTOR_POSITION.set(last.notification_id)
            except BaseException as error:  # handed to the submitting thread
                self._error = error
            finally:
                self._queue.task_done()
