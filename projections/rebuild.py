"""`wijklab projections rebuild`: every read model afresh, without downtime.

The new copy is built in a new schema, in batches, while the old one keeps serving. At the
end, under the pointer's row lock, the last events are applied and the serving views switch
to the new copy in the same transaction. An interrupted rebuild resumes where it stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog
from eventsourcing.persistence import Tracking
from psycopg.rows import dict_row

from projections import schema
from projections.catch_up import BATCH_SIZE, OpenRecord, ProgressCallback, catch_up, open_view
from projections.view import APPLICATION
from services.infra.postgres import Database

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RebuildReport:
    schema: str
    events: int
    seconds: float
    replaced: str | None

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def rebuild(
    database: Database,
    open_record: OpenRecord,
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
) -> RebuildReport:
    began = time.monotonic()
    with database.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        schema.ensure_pointer(cursor, database.schema)
        physical = schema.begin_building(cursor, database.schema)
        conn.commit()
    log.info("rebuild_started", schema=physical)
    view = open_view(database, physical)
    try:
        experiments = open_record()
    except BaseException:
        view.datastore.close()  # the next attempt builds again; leave no connection behind
        raise
    try:
        applied = catch_up(
            view, experiments, role="building", batch_size=batch_size, progress=progress
        )
        with view.datastore.transaction(commit=True) as cursor:
            schema.pointer(cursor, database.schema, lock="update")
            while True:  # the last events, while no one else can write to the read models
                notifications = experiments.recorder.select_notifications(
                    view.position_in(cursor), batch_size, inclusive_of_start=False
                )
                if not notifications:
                    break
                applied += view.apply_in(
                    cursor,
                    [
                        (experiments.mapper.to_domain_event(n), Tracking(APPLICATION, n.id))
                        for n in notifications
                    ],
                )
            replaced = schema.switch(cursor, database.schema, physical)
        if replaced:
            with database.connect(autocommit=True) as conn, conn.cursor() as cursor:
                schema.drop(cursor, replaced)
    finally:
        experiments.close()
        view.datastore.close()
    report = RebuildReport(physical, applied, time.monotonic() - began, replaced)
    log.info("rebuild_finished", schema=physical, events=applied, rate=round(report.rate))
    return report
