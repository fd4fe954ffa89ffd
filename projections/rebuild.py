"""`wijklab projections rebuild`: every read model afresh, without downtime.

The new copy is built in a new schema, in batches, while the old one keeps serving. At the
end, under the pointer's row lock, the last events are applied and the serving views switch
to the new copy in the same transaction. An interrupted rebuild resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass

import structlog
from eventsourcing.persistence import Tracking
from psycopg.rows import dict_row

from projections import schema
from projections.catch_up import BATCH_SIZE, OpenRecord, ProgressCallback, catch_up, open_view
from projections.partitioned import FoldProcesses
from projections.view import APPLICATION, ReadModelView
from services.infra.event_store import Experiments
from services.infra.postgres import Database

log = structlog.get_logger(__name__)

# Below this many events a rebuild folds in its own process: starting others takes longer.
# Above it, see `fold_processes`.
PARTITIONED_FROM = 20_000
MAX_FOLD_PROCESSES = 4


@dataclass(frozen=True)
class RebuildReport:
    schema: str
    events: int
    seconds: float
    replaced: str | None

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def fold_processes(events: int, wanted: int | None = None, cores: int | None = None) -> int:
    """How many processes fold a rebuild of `events`: `wanted`, or one per core this process
    may use but one (PostgreSQL writes the rows meanwhile), and at least two where there are
    two cores, at most four; one until there are enough events to be worth starting others
    (about a second).

    On two cores, 100,000 events: two processes rebuilt at 32,600 to 35,500 events a second
    (43,000 to 49,000 once started, which takes them half a second), this one alone at
    26,000 to 28,000 (30,000 to 32,000). Folding holds the interpreter: alone, with its
    reader and writer threads, it left the second core half idle; with processes this one
    only writes the rows (4 µs of an event's CPU, PostgreSQL 13, the folds 39).
    """
    if events < PARTITIONED_FROM:
        return 1
    if wanted is not None:
        return wanted
    cores = len(os.sched_getaffinity(0)) if cores is None else cores
    if cores < 2:
        return 1
    return min(max(cores - 1, 2), MAX_FOLD_PROCESSES)


def rebuild(
    database: Database,
    open_record: OpenRecord,
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    processes: int | None = None,
) -> RebuildReport:
    """Build every read model afresh in a new schema and serve it, folded by as many
    processes as `fold_processes` says."""
    began = time.monotonic()
    experiments = open_record()
    try:
        count = fold_processes(experiments.max_position(), processes)
        with contextlib.ExitStack() as stack:
            # Started first: they start while the new schema is made.
            folders = stack.enter_context(FoldProcesses(database, count)) if count > 1 else None
            with database.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
                schema.ensure_pointer(cursor, database.schema)
                physical = schema.begin_building(cursor, database.schema)
                conn.commit()
            log.info("rebuild_started", schema=physical, processes=count)
            view = open_view(database, physical)
            stack.callback(view.datastore.close)
            if folders is not None:
                applied = folders.catch_up(
                    view, experiments, batch_size=batch_size, progress=progress
                )
                folders.stop()  # and give their connections back
            else:
                applied = catch_up(
                    view, experiments, role="building", batch_size=batch_size, progress=progress
                )
            _build_indexes(view, physical)
            last, replaced = _finish(view, experiments, database, physical, batch_size)
            applied += last
        if replaced:
            with database.connect(autocommit=True) as conn, conn.cursor() as cursor:
                schema.drop(cursor, replaced)
    finally:
        experiments.close()
    report = RebuildReport(physical, applied, time.monotonic() - began, replaced)
    log.info("rebuild_finished", schema=physical, events=applied, rate=round(report.rate))
    return report


def _build_indexes(view: ReadModelView, physical: str) -> None:
    """The new copy's secondary indexes, built before the lock is taken: under it they held
    the live projector off for 0.2 s at 100,000 events, and longer as the record grows. The
    switch makes any still missing (none)."""
    with view.datastore.transaction(commit=True) as cursor:
        # A rebuild interrupted before the switch builds them again.
        cursor.execute("SET LOCAL synchronous_commit = off")
        schema.create_indexes(cursor, physical)


def _finish(
    view: ReadModelView, experiments: Experiments, database: Database, physical: str, batch: int
) -> tuple[int, str | None]:
    """Apply the last events while no one else can write to the read models, and switch the
    serving views to the new copy in the same transaction: how many, and the copy replaced."""
    applied = 0
    with view.datastore.transaction(commit=True) as cursor:
        schema.pointer(cursor, database.schema, lock="update")
        while True:
            stored = experiments.stored_page(view.position_in(cursor), batch)
            if not stored:
                break
            applied += view.apply_in(
                cursor,
                [(experiments.bulk.decode(row), Tracking(APPLICATION, row[0])) for row in stored],
            )
        return applied, schema.switch(cursor, database.schema, physical)
