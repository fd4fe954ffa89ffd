"""Catching a read-model view up with the event store in batches: the backlog after a pause,
and the whole log for a rebuild. Folding happens here; committing in `projections.pipeline`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.utils import Environment

from projections.collector import collector_paused
from projections.fold import FoldedState, Rows
from projections.page_fold import fold_page
from projections.pipeline import BatchWriter
from projections.view import APPLICATION, PROJECTION, ReadModelView, Role
from services.infra.bulk_decoding import StoredRow
from services.infra.event_store import Experiments
from services.infra.postgres import Database
from services.settings import DEFAULT_BATCH_SIZE

BATCH_SIZE = DEFAULT_BATCH_SIZE
# How far behind the record a live follower (the projector, the outbox) may fall before it
# catches up a page per transaction again: event by event, a burst (an import, a replay)
# costs a transaction per event.
FAR_BEHIND = 5000
# States a catch-up keeps between batches (a few kilobytes each) before it starts afresh.
MAX_STATES_IN_MEMORY = 50_000


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    rate: float


ProgressCallback = Callable[[Progress], None]
# Opens the event store for a catch-up or a rebuild (each closes what it opened).
OpenRecord = Callable[[], Experiments]


def view_env(database: Database, physical: str) -> dict[str, str]:
    env = database.eventsourcing_env()
    env[f"{PROJECTION.upper()}_POSTGRES_SCHEMA"] = physical
    return env


def open_view(database: Database, physical: str) -> ReadModelView:
    with database.ddl_lock():
        factory = InfrastructureFactory[ReadModelView].construct(
            env=Environment(PROJECTION, view_env(database, physical))
        )
        view = factory.tracking_recorder(ReadModelView)
        with view.datastore.transaction(commit=True) as cursor:
            view.create_position_view(cursor)
    return view


def catch_up(
    view: ReadModelView,
    experiments: Experiments,
    *,
    role: Role,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Apply the backlog in batches until the view has reached the head of the log.

    Three threads share the work: a reader selects the next page of events while this thread
    decodes and folds the current one, and a `BatchWriter` commits the one before. The
    experiments' states stay in memory from batch to batch instead of being read back.
    """
    submitted, began = 0, time.monotonic()
    start = view.position()
    states: dict[UUID, FoldedState] = {}

    def page(after: int) -> list[StoredRow]:
        return experiments.stored_page(after, batch_size)

    with (
        BatchWriter(view, role) as writer,
        ThreadPoolExecutor(1, thread_name_prefix="read-model-reader") as reader,
    ):
        ahead = reader.submit(page, start)
        while not (stop and stop.is_set()):
            stored = ahead.result()
            if not stored:
                break
            last, full = stored[-1][0], len(stored) == batch_size
            if full:
                ahead = reader.submit(page, last)
            if len(states) > MAX_STATES_IN_MEMORY:
                writer.drain()
                states.clear()
            with collector_paused():
                rows = _rows(view, experiments, stored, states, writer)
            del stored
            writer.submit(rows, after=start, last=Tracking(APPLICATION, last), events=rows.events)
            submitted += rows.events
            start = last
            if progress:
                elapsed = max(time.monotonic() - began, 1e-9)
                progress(
                    Progress(done=start, total=experiments.max_position(), rate=submitted / elapsed)
                )
            if not full:
                break
    return writer.applied


def _rows(
    view: ReadModelView,
    experiments: Experiments,
    stored: list[StoredRow],
    states: dict[UUID, FoldedState],
    writer: BatchWriter,
) -> Rows:
    """The rows of a page of events, decoded and folded."""
    events = [experiments.bulk.decode(row) for row in stored]
    fold = fold_page(
        lambda: view.datastore.transaction(commit=False),
        view.schema,
        events,
        [row[0] for row in stored],
        states,
        writer.drain,
    )
    return fold.rows()
