"""The outbox: every recorded decision turned into deliveries for the subscriptions that
ask for it, enqueued exactly once.

`OutboxRecorder` is a tracking recorder like the read models' (`projections.view`): the
delivery rows and the outbox's position commit in one transaction, so a crash anywhere
neither loses an event nor enqueues it twice. After each commit the new deliveries are
handed to `dispatch` (which starts a Temporal workflow per delivery); deliveries committed
but not yet handed over when a process died are handed over when the outbox starts again.
The outbox has its own position and its own lock, apart from the read models: rebuilding
those never sends anything twice.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import psycopg
import structlog
from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg import Cursor, sql

from domain.decisions import RULES_ROUNDS, DecisionType
from domain.experiment import Experiment
from domain.outbound import Outbound, message_body, outbound_events, programme_events
from domain.programme_record import Programme
from projections.catch_up import FAR_BEHIND
from projections.reminder_queue import queue_reminders
from services import tracing
from services.infra.event_store import Experiments
from services.infra.postgres import Database

log = structlog.get_logger(__name__)

APPLICATION = "Experiments"
OUTBOX = "Outbox"
# What the outboxes of one schema hold an advisory lock for (see `Database.lock_key`).
LOCK_PURPOSE = "outbox"
# How many left-over rows are handed over at a time when the outbox starts.
HAND_OVER_PAGE = 500
# Events read and applied per transaction while the outbox catches up with the record.
CATCH_UP_PAGE = 500
DELIVERY_NAMESPACE = uuid.UUID("2c5b8a51-9d0e-4f63-8a7b-5e1f0c3d9a24")

# Hands new deliveries (or reminders), by id, to whatever sends them; must tolerate repeats.
Dispatch = Callable[[Sequence[uuid.UUID]], None]


def _nothing(ids: Sequence[uuid.UUID]) -> None:
    return None


@dataclass
class Enqueued:
    """What one event made: deliveries to receivers, reminders to people."""

    deliveries: list[uuid.UUID] = field(default_factory=list)
    reminders: list[uuid.UUID] = field(default_factory=list)


def delivery_id(subscription_id: uuid.UUID, position: int, event_type: str) -> uuid.UUID:
    """The same event for the same subscription is always the same delivery."""
    return uuid.uuid5(DELIVERY_NAMESPACE, f"{subscription_id}:{position}:{event_type}")


@dataclass(frozen=True)
class _ExperimentFacts:
    municipality: str
    rounds: bool
    round_in_cycle: bool


class OutboxRecorder(PostgresTrackingRecorder):
    """Writes deliveries and the outbox's tracking together (see `projections.view` for the
    two private helpers it shares with the read models)."""

    @property
    def schema(self) -> str:
        return self.datastore.schema

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION) or 0

    def enqueue(
        self, event: Any, tracking: Tracking, trace: tracing.Carrier | None = None
    ) -> Enqueued:
        """Apply one event; what it made (nothing if it was applied before). `trace` goes
        with its deliveries, which continue the decision's trace."""
        with self.datastore.transaction(commit=True) as cursor:
            # The tracking first: a position applied before moves nothing and answers no row,
            # and then nothing else is done (one statement, where a check and an insert were
            # two, on every event). That is the single-row tracking table's upsert.
            if not self._track(cursor, tracking.notification_id):
                return Enqueued()
            return self._apply(cursor, event, tracking.notification_id, trace)

    def enqueue_page(self, events: Sequence[tuple[Any, int]]) -> Enqueued:
        """Apply a page of events (with their positions, in order) in one transaction: how
        the outbox catches up with a long record. What was applied before is skipped; the
        tracking moves once, to the page's last position."""
        made = Enqueued()
        if not events:
            return made
        with self.datastore.transaction(commit=True) as cursor:
            done = cursor.execute(
                sql.SQL(
                    "SELECT notification_id FROM {} WHERE application_name = %s FOR UPDATE"
                ).format(self._table(self.tracking_table_name)),
                (APPLICATION,),
            ).fetchone()
            after = done["notification_id"] if done else 0
            for event, position in events:
                if position <= after:
                    continue
                one = self._apply(cursor, event, position, getattr(event, "trace", None))
                made.deliveries += one.deliveries
                made.reminders += one.reminders
            if events[-1][1] > after:
                self._track(cursor, events[-1][1])
        return made

    def _track(self, cursor: Cursor[Any], position: int) -> bool:
        """Move the outbox's position to `position`; False if it was there already."""
        assert self.datastore.single_row_tracking
        cursor.execute(
            self.insert_tracking_statement,
            {"application_name": APPLICATION, "notification_id": position},
            prepare=True,
        )
        return cursor.fetchone() is not None

    def _apply(
        self, cursor: Cursor[Any], event: Any, position: int, trace: tracing.Carrier | None
    ) -> Enqueued:
        """What one event makes, written with `cursor`."""
        if isinstance(event, Programme.Created | Programme.Decided):
            return Enqueued(deliveries=self._programme_deliveries(cursor, event, position))
        if not isinstance(event, Experiment.Started | Experiment.Decided):
            return Enqueued()  # an erasure, say: nothing goes out
        facts = self._experiment_facts(cursor, event)
        if facts is None:
            return Enqueued()
        made = Enqueued(deliveries=self._deliveries(cursor, event, position, facts, trace))
        # Under rounds a revision puts the plan to residents only when it replaces an
        # open round's; otherwise the round's opening does.
        revision_asks = not facts.rounds or facts.round_in_cycle
        made.reminders = queue_reminders(
            cursor,
            self.schema,
            experiment_id=event.originator_id,
            decision_type=event.decision_type,
            actor=event.actor,
            stage=event.stage,
            cycle=event.cycle,
            position=position,
            happened=event.timestamp,
            payload=event.payload,
            reminds=event.decision_type is not DecisionType.REVISE_PLAN or revision_asks,
        )
        return made

    def _follow_rounds(
        self, cursor: Cursor[Any], experiment_id: uuid.UUID, event: Any, before: bool
    ) -> bool:
        """Whether a round was opened in the experiment's cycle before this decision, kept
        up to date: an opening sets it, a new cycle clears it."""
        kind = event.decision_type
        after = before
        if kind is DecisionType.OPEN_ENDORSEMENT:
            after = True
        elif kind is DecisionType.ADVANCE and event.payload.get("to") == "plan":
            after = False
        if after != before:
            cursor.execute(
                sql.SQL("UPDATE {} SET round_in_cycle = %s WHERE experiment_id = %s").format(
                    self._table("outbox_experiments")
                ),
                (after, experiment_id),
            )
        return before

    def _experiment_facts(self, cursor: Cursor[Any], event: Any) -> _ExperimentFacts | None:
        """What the outbox keeps of an experiment, kept from its start: its municipality,
        whether it runs under rounds, and whether a round was opened in its cycle before this
        decision (which this decision then updates)."""
        experiment_id = event.originator_id
        if isinstance(event, Experiment.Started):
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {} (experiment_id, municipality, title, rounds)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(self._table("outbox_experiments")),
                (
                    experiment_id,
                    event.payload["municipality"],
                    event.payload.get("title"),
                    event.payload.get("rules") == RULES_ROUNDS,
                ),
            )
        found = cursor.execute(
            sql.SQL(
                "SELECT municipality, round_in_cycle, rounds FROM {} WHERE experiment_id = %s"
            ).format(self._table("outbox_experiments")),
            (experiment_id,),
        ).fetchone()
        if found is None:
            log.warning("outbox_unknown_experiment", experiment_id=str(experiment_id))
            return None
        return _ExperimentFacts(
            municipality=found["municipality"],
            rounds=bool(found["rounds"]),
            round_in_cycle=self._follow_rounds(
                cursor, experiment_id, event, bool(found["round_in_cycle"])
            ),
        )

    def _deliveries(
        self,
        cursor: Cursor[Any],
        event: Any,
        position: int,
        facts: _ExperimentFacts,
        trace: tracing.Carrier | None,
    ) -> list[uuid.UUID]:
        experiment_id = event.originator_id
        municipality, round_in_cycle = facts.municipality, facts.round_in_cycle
        outbound = outbound_events(
            decision_type=event.decision_type,
            payload=event.payload,
            experiment_id=str(experiment_id),
            decision_id=event.decision_id,
            position=position,
            cycle=event.cycle,
            stage=event.stage,
            reopens_round=round_in_cycle and event.decision_type is DecisionType.REVISE_PLAN,
        )
        return self._enqueue(cursor, municipality, outbound, event, position, experiment_id, trace)

    def _programme_deliveries(
        self, cursor: Cursor[Any], event: Any, position: int
    ) -> list[uuid.UUID]:
        """A programme's municipality is kept from its first event; its year's end goes out."""
        programme_id = event.originator_id
        table = self._table("outbox_programmes")
        if isinstance(event, Programme.Created):
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {} (programme_id, municipality) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING"
                ).format(table),
                (programme_id, event.payload["municipality"]),
            )
            return []
        outbound = programme_events(
            decision_type=event.decision_type,
            payload=event.payload,
            programme_id=str(programme_id),
            decision_id=event.decision_id,
            position=position,
        )
        if not outbound:
            return []
        found = cursor.execute(
            sql.SQL("SELECT municipality FROM {} WHERE programme_id = %s").format(table),
            (programme_id,),
        ).fetchone()
        if found is None:
            log.warning("outbox_unknown_programme", programme_id=str(programme_id))
            return []
        return self._enqueue(cursor, found["municipality"], outbound, event, position, None)

    def _enqueue(
        self,
        cursor: Cursor[Any],
        municipality: str,
        outbound: list[Outbound],
        event: Any,
        position: int,
        experiment_id: uuid.UUID | None,
        trace: tracing.Carrier | None = None,
    ) -> list[uuid.UUID]:
        """One delivery per outbound event and subscription that asks for it: of the
        municipality, for the type, made before, and for this experiment or for every one (a
        programme's events go to the latter)."""
        made: list[uuid.UUID] = []
        for one in outbound:
            cursor.execute(
                sql.SQL(
                    "SELECT id FROM {} WHERE municipality = %s AND %s = ANY(event_types)"
                    " AND deleted_at IS NULL AND disabled_at IS NULL AND from_position < %s"
                    " AND (experiment_id IS NULL OR experiment_id = %s)"
                ).format(self._table("subscriptions")),
                (municipality, one.event_type, position, experiment_id),
            )
            body = orjson.dumps(message_body(one.event_type, event.timestamp, one.data))
            for row in cursor.fetchall():
                subscription_id = row["id"]
                made_id = delivery_id(subscription_id, position, one.event_type)
                cursor.execute(
                    sql.SQL(
                        "INSERT INTO {} (id, webhook_id, subscription_id, event_type, position,"
                        " experiment_id, body, trace) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING"
                    ).format(self._table("deliveries")),
                    (
                        made_id,
                        f"msg_{made_id.hex}",
                        subscription_id,
                        one.event_type,
                        position,
                        experiment_id,
                        body.decode(),
                        orjson.dumps(trace).decode() if trace else None,
                    ),
                )
                made.append(made_id)
        return made

    def not_dispatched(
        self, table: str, before: datetime, after: tuple[datetime, uuid.UUID] | None = None
    ) -> list[tuple[datetime, uuid.UUID]]:
        """Rows of `table` (`deliveries` or `reminders`) committed before `before` but not
        handed over, oldest first, a page at a time after the key `after`."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                sql.SQL(
                    "SELECT created_at, id FROM {} WHERE dispatched_at IS NULL"
                    " AND status = 'pending' AND created_at < %s"
                    " AND (%s::timestamptz IS NULL OR (created_at, id) > (%s, %s))"
                    " ORDER BY created_at, id LIMIT %s"
                ).format(self._table(table)),
                (
                    before,
                    after[0] if after else None,
                    after[0] if after else None,
                    after[1] if after else None,
                    HAND_OVER_PAGE,
                ),
            )
            return [(row["created_at"], row["id"]) for row in cursor.fetchall()]


class OutboxProjection(Projection[OutboxRecorder]):
    name = OUTBOX
    dispatch: Dispatch = staticmethod(_nothing)
    remind: Dispatch = staticmethod(_nothing)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        carried = getattr(domain_event, "trace", None)
        if carried:
            # A traced decision: what goes out for it is a hop of the same trace.
            with tracing.span(
                "wijklab.outbox",
                parent=carried,
                experiment_id=str(domain_event.originator_id),
                position=tracking.notification_id,
            ):
                made = self.view.enqueue(domain_event, tracking, tracing.carrier())
        else:
            made = self.view.enqueue(domain_event, tracking)
        if made.deliveries:
            type(self).dispatch(made.deliveries)
        if made.reminders:
            type(self).remind(made.reminders)


def outbox_env(database: Database) -> dict[str, str]:
    env = database.eventsourcing_env()
    env[f"{OUTBOX.upper()}_POSTGRES_SCHEMA"] = database.schema
    # The event store's tables are made under the DDL lock when a process opens the record
    # (`Experiments.open`); made again here, without it, while the projector makes them too,
    # PostgreSQL can refuse one of the two ("tuple concurrently updated") and leave its
    # session holding locks that stall the other for good.
    env[f"{APPLICATION.upper()}_CREATE_TABLE"] = "n"
    # One thread, one connection, a transaction per event: a ping before each would be a
    # round trip per event. A connection lost (PostgreSQL restarted) fails its transaction,
    # and the outbox follows again from its tracking (`run_outbox`).
    env[f"{OUTBOX.upper()}_POSTGRES_PRE_PING"] = "n"
    return env


@contextlib.contextmanager
def _outbox_lock(database: Database, stop: threading.Event) -> Iterator[bool]:
    """One outbox writes at a time; others wait as standbys."""
    key = database.lock_key(LOCK_PURPOSE)
    with database.connect(autocommit=True) as conn:
        announced = False
        while not stop.is_set():
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if got and got[0]:
                log.info("outbox_active")
                try:
                    yield True
                finally:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                return
            if not announced:
                log.info("outbox_standby")
                announced = True
            stop.wait(1.0)
        yield False


def run_outbox(
    database: Database,
    dispatch: Dispatch,
    stop: threading.Event,
    remind: Dispatch = _nothing,
) -> None:
    """Enqueue deliveries and reminders for every new event until `stop` is set; on a
    failure let go of the lock, wait and compete again (as the projector does)."""
    bound = type(
        "BoundOutboxProjection",
        (OutboxProjection,),
        # eventsourcing names a projection's tables after its class unless the class says
        # `name` itself: this one keeps `outbox_tracking`.
        {"name": OUTBOX, "dispatch": staticmethod(dispatch), "remind": staticmethod(remind)},
    )
    while not stop.is_set():
        try:
            with _outbox_lock(database, stop) as active:
                if not active:
                    return
                _follow(database, bound, stop)
        except Exception:
            log.exception("outbox_failed_retrying")
        stop.wait(1.0)


def _hand_over(
    view: OutboxRecorder, table: str, before: datetime, dispatch: Dispatch, stop: threading.Event
) -> None:
    """Hand over what was committed before `before` (this outbox's start) but not handed over
    when a process died; what the outbox writes from now on it hands over itself."""
    page = view.not_dispatched(table, before)
    while page and not stop.is_set():
        dispatch([one for _, one in page])
        log.info("outbox_redispatched", table=table, count=len(page))
        page = view.not_dispatched(table, before, after=page[-1])


def catch_up(
    database: Database,
    projection: type[OutboxProjection],
    stop: threading.Event,
    page_size: int = CATCH_UP_PAGE,
) -> int:
    """Read what the record holds past the outbox's position a page per transaction, and
    hand over what each page made; the events read.

    Following event by event costs a transaction (and a wait for the disk) per event: a
    million events behind, after an outage or on first start against a long record, took a
    quarter of an hour and held the worker's interpreter all that while. A page per
    transaction is the projector's way too; from the head on, the outbox follows.
    """
    env = ProjectionRunner._construct_env(name=OUTBOX, env=outbox_env(database))
    read, began = 0, time.monotonic()
    with contextlib.ExitStack() as leaving:
        with database.ddl_lock():  # the outbox's tracking table is made here if it is new
            view = (
                InfrastructureFactory[OutboxRecorder]
                .construct(env=env)
                .tracking_recorder(OutboxRecorder)
            )
        leaving.callback(view.datastore.close)
        record = Experiments(env=outbox_env(database))
        leaving.callback(record.close)
        after = view.position()
        while not stop.is_set():
            page = record.stored_page(after, page_size)
            if not page:
                break
            made = view.enqueue_page([(record.bulk.decode(row), row[0]) for row in page])
            if made.deliveries:
                projection.dispatch(made.deliveries)
            if made.reminders:
                projection.remind(made.reminders)
            read += len(page)
            after = page[-1][0]
            if read % (page_size * 20) < page_size:
                log.info("outbox_catching_up", position=after, events=read)
            if len(page) < page_size:
                break
    if read:
        seconds = max(time.monotonic() - began, 1e-9)
        log.info("outbox_caught_up", events=read, rate=round(read / seconds))
    return read


def _follow(
    database: Database,
    projection: type[OutboxProjection],
    stop: threading.Event,
) -> None:
    # What was left over is what was committed before this moment (by the database's clock,
    # which wrote `created_at`): what this outbox writes from now on it hands over itself.
    with database.connect() as conn:
        found = conn.execute("SELECT now()").fetchone()
    assert found is not None
    began: datetime = found[0]
    handed_over = False
    while not stop.is_set():
        catch_up(database, projection, stop)
        with contextlib.ExitStack() as leaving:
            with database.ddl_lock():  # the outbox's own tracking table is made here
                runner = ProjectionRunner(
                    application_class=Experiments,
                    projection_class=projection,
                    view_class=OutboxRecorder,
                    env=outbox_env(database),
                )
            # The runner closes its record, not its view; following again after a burst makes
            # a new one, so each is closed once its runner has stopped.
            leaving.callback(runner.view.datastore.close)
            leaving.enter_context(runner)
            if not handed_over:
                _hand_over(runner.view, "deliveries", began, projection.dispatch, stop)
                _hand_over(runner.view, "reminders", began, projection.remind, stop)
                handed_over = True
            log.info("outbox_following", position=runner.view.position())
            while not stop.is_set() and not runner.is_interrupted.is_set():
                runner.run_forever(timeout=0.5)
                behind = runner.app.recorder.max_notification_id() or 0
                if behind - runner.view.position() > FAR_BEHIND:
                    # A burst of writes (an import, a replay) left it far behind: a page per
                    # transaction again, then follow on.
                    log.info("outbox_far_behind", events=behind - runner.view.position())
                    break
            else:
                return
