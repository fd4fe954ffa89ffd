"""The projector: catch up in batches, then follow new events as they are committed.

New events are announced by PostgreSQL (LISTEN/NOTIFY), never found by polling. After a
pause, the backlog is applied in batches of many events per transaction; then
`projections.live` applies each new event as it is committed, with whatever else was
committed meanwhile. One projector is active at a time (a PostgreSQL advisory lock); others
wait as standbys.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import structlog
from psycopg.rows import dict_row

from projections import schema
from projections.catch_up import (
    BATCH_SIZE,
    FAR_BEHIND,
    OpenRecord,
    ProgressCallback,
    catch_up,
    open_view,
)
from projections.live import follow_live
from projections.metrics import PROJECTOR_POSITION
from projections.rebuild import rebuild
from projections.view import SchemaSwitched
from services.infra.postgres import Database

log = structlog.get_logger(__name__)

# What the projectors of one schema hold an advisory lock for (see `Database.lock_key`).
LOCK_PURPOSE = "projector"


def serving_pointer(
    database: Database, conn: psycopg.Connection[Any] | None = None
) -> dict[str, Any]:
    """The pointer row (physical schema served, its shape); pass `conn` to reuse one."""
    with contextlib.ExitStack() as stack:
        if conn is None:
            conn = stack.enter_context(database.connect(autocommit=True))
        with conn.cursor(row_factory=dict_row) as cursor:
            schema.ensure_pointer(cursor, database.schema)
            return schema.pointer(cursor, database.schema)


def serving_physical(database: Database, conn: psycopg.Connection[Any] | None = None) -> str | None:
    """The physical schema now served."""
    physical = serving_pointer(database, conn)["physical"]
    return str(physical) if physical else None


@contextlib.contextmanager
def active_projector_lock(database: Database, stop: threading.Event) -> Iterator[bool]:
    """Hold the advisory lock that makes this the one active projector; wait as a standby."""
    key = database.lock_key(LOCK_PURPOSE)
    with database.connect(autocommit=True) as conn:
        announced = False
        while not stop.is_set():
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if got and got[0]:
                log.info("projector_active")
                try:
                    yield True
                finally:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                return
            if not announced:
                log.info("projector_standby")
                announced = True
            stop.wait(1.0)
        yield False


def run_projector(
    database: Database,
    open_record: OpenRecord,
    stop: threading.Event,
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    rebuild_processes: int | None = None,
) -> None:
    """Keep the read models up to date until `stop` is set.

    A failure (the database restarting, say) does not end the projector: it lets go of the
    advisory lock, waits a moment and competes for it again, so that a standby may take over
    meanwhile and two projectors never write at once.
    """
    while not stop.is_set():
        try:
            with active_projector_lock(database, stop) as active:
                if not active:
                    return
                _project(
                    database,
                    open_record,
                    stop,
                    progress=progress,
                    batch_size=batch_size,
                    rebuild_processes=rebuild_processes,
                )
        except Exception:
            log.exception("projector_failed_retrying")
        stop.wait(1.0)


def _project(
    database: Database,
    open_record: OpenRecord,
    stop: threading.Event,
    *,
    progress: ProgressCallback | None,
    batch_size: int,
    rebuild_processes: int | None,
) -> None:
    while not stop.is_set():
        served = serving_pointer(database)
        physical = served["physical"]
        if physical is None or served["shape"] != schema.SHAPE:
            if physical is not None:
                log.info("read_model_shape_changed_rebuilding", schema=physical)
            rebuild(
                database,
                open_record,
                progress=progress,
                batch_size=batch_size,
                processes=rebuild_processes,
            )
            continue
        try:
            _follow(database, open_record, physical, stop, progress=progress, batch_size=batch_size)
        except SchemaSwitched as switched:
            log.info("projector_switching_schema", reason=str(switched))


def _follow(
    database: Database,
    open_record: OpenRecord,
    physical: str,
    stop: threading.Event,
    *,
    progress: ProgressCallback | None,
    batch_size: int,
) -> None:
    view = open_view(database, physical)
    experiments = open_record()
    # The view and the record each hold a pool; a projector that follows again after a burst
    # makes new ones, so these are closed as they are left, not when the process ends.
    try:
        catch_up(
            view,
            experiments,
            role="serving",
            batch_size=batch_size,
            progress=progress,
            stop=stop,
        )
        log.info("projector_following", schema=physical, position=view.position())
        with database.connect(autocommit=True) as pointer_conn:

            def look_around(position: int) -> bool:
                if serving_physical(database, pointer_conn) != physical:
                    # A rebuild switched while no event came by to tell us; follow the new
                    # copy.
                    raise SchemaSwitched(f"{physical} is no longer served")
                PROJECTOR_POSITION.set(position)
                behind = experiments.max_position() - position
                if behind > FAR_BEHIND:
                    # A burst of writes left it far behind: catch up with reading, folding and
                    # writing in threads of their own (`_project` follows again through
                    # `catch_up`).
                    log.info("projector_far_behind", events=behind)
                    return False
                return True

            follow_live(
                database, view, experiments, stop, batch_size=batch_size, look_around=look_around
            )
    finally:
        experiments.close()
        view.datastore.close()
