"""The projector: catch up in batches, then follow new events as they are committed.

New events arrive through eventsourcing's PostgreSQL subscription (LISTEN/NOTIFY), never by
polling. After a pause, the backlog is applied in batches of many events per transaction;
then `ProjectionRunner` takes over with one event per transaction for low latency. One
projector is active at a time (a PostgreSQL advisory lock); others wait as standbys.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import structlog
from eventsourcing.persistence import InfrastructureFactory, Notification, Tracking
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import Environment
from psycopg.rows import dict_row

from domain.state import ExperimentState
from projections import schema
from projections.collector import collector_paused
from projections.fold import Fold, Rows, load_states, people_in
from projections.metrics import PROJECTOR_POSITION
from projections.pipeline import BatchWriter
from projections.view import (
    APPLICATION,
    PROJECTION,
    ReadModelProjection,
    ReadModelView,
    Role,
    SchemaSwitched,
    base_of,
)
from services.bootstrap import experiments_for
from services.database import Database
from services.experiments import Experiments
from services.people import load_keyring

log = structlog.get_logger(__name__)

BATCH_SIZE = 5000
# States a catch-up keeps between batches (a few kilobytes each) before it starts afresh.
MAX_STATES_IN_MEMORY = 50_000
# Any 64-bit number, the same for every projector of one database.
ADVISORY_LOCK_KEY = 0x7769_6A6B_6C61_6201


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    rate: float


ProgressCallback = Callable[[Progress], None]


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
    states: dict[UUID, ExperimentState] = {}

    def page(after: int) -> Sequence[Notification]:
        return experiments.recorder.select_notifications(
            after, batch_size, inclusive_of_start=False
        )

    with (
        BatchWriter(view, role) as writer,
        ThreadPoolExecutor(1, thread_name_prefix="read-model-reader") as reader,
    ):
        ahead = reader.submit(page, start)
        while not (stop and stop.is_set()):
            notifications = ahead.result()
            if not notifications:
                break
            last, full = notifications[-1].id, len(notifications) == batch_size
            if full:
                ahead = reader.submit(page, last)
            if len(states) > MAX_STATES_IN_MEMORY:
                writer.drain()
                states.clear()
            with collector_paused():
                rows = _rows(view, experiments, notifications, states, writer)
            del notifications
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
    notifications: Sequence[Notification],
    states: dict[UUID, ExperimentState],
    writer: BatchWriter,
) -> Rows:
    """The rows of a page of events, decoded and folded."""
    events = [experiments.mapper.to_domain_event(n) for n in notifications]
    fold = _fold(view, events, [n.id for n in notifications], states, writer)
    return fold.rows()


def _fold(
    view: ReadModelView,
    events: list[Any],
    positions: list[int],
    states: dict[UUID, ExperimentState],
    writer: BatchWriter,
) -> Fold:
    with view.datastore.transaction(commit=False) as cursor:
        fold = Fold(load_keyring(cursor, base_of(view.schema), people_in(events)), states)
        missing = sorted(fold.needs(events))
        if missing:
            writer.drain()  # the view holds these states only once what came before is in
            fold.load(load_states(cursor, view.schema, missing))
    for event, position in zip(events, positions, strict=True):
        fold.add(event, position)
    return fold


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
    with database.connect(autocommit=True) as conn:
        announced = False
        while not stop.is_set():
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
            if got and got[0]:
                log.info("projector_active")
                try:
                    yield True
                finally:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
                return
            if not announced:
                log.info("projector_standby")
                announced = True
            stop.wait(1.0)
        yield False


def run_projector(
    database: Database,
    stop: threading.Event,
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
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
                _project(database, stop, progress=progress, batch_size=batch_size)
        except Exception:
            log.exception("projector_failed_retrying")
        stop.wait(1.0)


def _project(
    database: Database,
    stop: threading.Event,
    *,
    progress: ProgressCallback | None,
    batch_size: int,
) -> None:
    from projections.rebuild import rebuild  # here: the rebuild module imports this one

    while not stop.is_set():
        served = serving_pointer(database)
        physical = served["physical"]
        if physical is None or served["shape"] != schema.SHAPE:
            if physical is not None:
                log.info("read_model_shape_changed_rebuilding", schema=physical)
            rebuild(database, progress=progress, batch_size=batch_size)
            continue
        try:
            _follow(database, physical, stop, progress=progress, batch_size=batch_size)
        except SchemaSwitched as switched:
            log.info("projector_switching_schema", reason=str(switched))


def _follow(
    database: Database,
    physical: str,
    stop: threading.Event,
    *,
    progress: ProgressCallback | None,
    batch_size: int,
) -> None:
    view = open_view(database, physical)
    # The tables exist by now (created under the DDL lock above); the runner only opens them.
    env: dict[str, Any] = {**view_env(database, physical), "CREATE_TABLE": "n"}
    experiments = experiments_for(database)
    try:
        catch_up(
            view, experiments, role="serving", batch_size=batch_size, progress=progress, stop=stop
        )
    finally:
        experiments.close()
    log.info("projector_following", schema=physical, position=view.position())
    with (
        ProjectionRunner(
            application_class=Experiments,
            projection_class=ReadModelProjection,
            view_class=ReadModelView,
            env=env,
        ) as runner,
        database.connect(autocommit=True) as pointer_conn,
    ):
        while not stop.is_set() and not runner.is_interrupted.is_set():
            runner.run_forever(timeout=0.5)
            if serving_physical(database, pointer_conn) != physical:
                # A rebuild switched while no event came by to tell us; follow the new copy.
                raise SchemaSwitched(f"{physical} is no longer served")
            PROJECTOR_POSITION.set(runner.view.position())
