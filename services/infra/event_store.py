"""The decision record: the `Experiments` application over the PostgreSQL event store.

Commands return plain results (ids, the experiment as a dict, the event's position in the
notification log); queries return plain values. Taking a decision is idempotent by decision
id: the id is checked against the experiment's own stream, which the aggregate's optimistic
concurrency keeps consistent, so the same id can never be stored twice.

Longer than 200 lines, and whole on purpose: it is one eventsourcing `Application`, whose
commands and queries share its repository, recorder and mapper.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.rows import tuple_row

from domain import rules
from domain.answers import DecisionAnswer, check_repeat
from domain.decisions import Decision
from domain.errors import ConcurrentDecision, ExperimentNotFound
from domain.experiment import Experiment
from domain.people import Erasure, erasure_id
from domain.state import ExperimentState
from services.infra.bulk_decoding import BulkDecoder, StoredRow
from services.infra.postgres import Database

log = structlog.get_logger(__name__)

# The rest of a bulk read (`Experiments.stored_page`, `Experiments.stored_partition`).
_PAGE = sql.SQL("ORDER BY notification_id LIMIT %s")
_PARTITION = sql.SQL(
    "AND notification_id <= %s AND get_byte(uuid_send(originator_id), 15) %% %s = %s"
    " ORDER BY notification_id"
)


class Experiments(Application[UUID]):
    name = "Experiments"

    @functools.cached_property
    def bulk(self) -> BulkDecoder:
        """The mapper's decoding for reading many events at once (a rebuild, a catch-up)."""
        return BulkDecoder(self.mapper)

    @classmethod
    def open(cls, database: Database) -> Experiments:
        """The event store on `database`; its tables are created under the DDL lock."""
        with database.ddl_lock():
            return cls(env=database.eventsourcing_env())

    @classmethod
    def reader(cls, database: Database) -> Experiments:
        """The event store on `database` for reading alone, its tables taken as made, on one
        connection where a pool may grow to fifteen: a rebuild's fold processes, which read
        a page at a time beside every other process's pools."""
        env = database.eventsourcing_env()
        env.update(POSTGRES_POOL_SIZE="1", POSTGRES_MAX_OVERFLOW="0", CREATE_TABLE="n")
        return cls(env=env)

    # --- commands -----------------------------------------------------------------------

    def start(
        self,
        decision: Decision,
        *,
        experiment_id: UUID,
        at: datetime | None = None,
        trace: dict[str, str] | None = None,
    ) -> DecisionAnswer:
        """Start an experiment. Starting the same id again returns the first answer.

        Callers name the experiment with `experiment_id_for`, so a retried request with the
        same start key can never start a second experiment.
        """
        existing = self.find(experiment_id)
        if existing is not None:
            return self._repeat(existing, decision, version=1)
        experiment = Experiment.start(decision, experiment_id=experiment_id, at=at, trace=trace)
        try:
            recordings = self.save(experiment)
        except IntegrityError:
            existing = self.find(experiment_id)
            if existing is None:  # pragma: no cover - the conflicting row must exist
                raise
            return self._repeat(existing, decision, version=1)
        log.info(
            "experiment_started",
            experiment_id=str(experiment_id),
            decision_id=decision.decision_id,
        )
        return DecisionAnswer(
            decision_id=decision.decision_id,
            experiment=experiment.state.to_dict(),
            position=recordings[-1].notification.id,
            fingerprint=decision.fingerprint(),
        )

    def decide(
        self,
        experiment_id: UUID,
        decision: Decision,
        *,
        at: datetime | None = None,
        trace: dict[str, str] | None = None,
    ) -> DecisionAnswer:
        """Take `decision`, or return the first answer if its id was already used here.

        Raises `RuleViolation` when the rules refuse it, `ConcurrentDecision` when another
        decision was stored at the same version first.
        """
        experiment = self._load(experiment_id)
        if decision.decision_id in experiment.decision_versions:
            return self._repeat(
                experiment, decision, experiment.decision_versions[decision.decision_id]
            )
        experiment.decide(decision, at=at, trace=trace)
        try:
            recordings = self.save(experiment)
        except IntegrityError:
            latest = self._load(experiment_id)
            if decision.decision_id in latest.decision_versions:
                return self._repeat(
                    latest, decision, latest.decision_versions[decision.decision_id]
                )
            raise ConcurrentDecision(
                f"another decision was recorded on experiment {experiment_id} at version "
                f"{experiment.version}; reload it and decide again"
            ) from None
        log.info(
            "decision_recorded",
            experiment_id=str(experiment_id),
            decision_id=decision.decision_id,
            type=decision.type.value,
            version=experiment.version,
        )
        return DecisionAnswer(
            decision_id=decision.decision_id,
            experiment=experiment.state.to_dict(),
            position=recordings[-1].notification.id,
            fingerprint=decision.fingerprint(),
        )

    def answer_without_deciding(
        self, experiment_id: UUID, decision: Decision
    ) -> DecisionAnswer | None:
        """For an experiment whose workflow is gone: the first answer to a repeated decision,
        the rules' refusal (closed experiments refuse everything), or None when the decision
        would be allowed and must go through a workflow after all."""
        experiment = self._load(experiment_id)
        repeat = self._recorded(experiment, decision)
        if repeat is not None:
            return repeat
        rules.check(experiment.state, decision)
        return None

    def recorded_answer(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer | None:
        """The first answer to `decision` if the record holds its id (None if it does not, or
        the experiment does not exist): a repeat told from the record, whatever the state now."""
        experiment = self.find(experiment_id)
        return None if experiment is None else self._recorded(experiment, decision)

    def recorded_decisions(
        self, experiment_id: UUID, decision_ids: Iterable[str]
    ) -> dict[str, Decision]:
        """Those of `decision_ids` recorded in this experiment, as stored (sealed values
        sealed): each read by its version, so a long record is not read whole."""
        experiment = self.find(experiment_id)
        if experiment is None:
            return {}
        found: dict[str, Decision] = {}
        for decision_id in dict.fromkeys(decision_ids):
            version = experiment.decision_versions.get(decision_id)
            if version is None:
                continue
            event = next(iter(self.events.get(experiment.id, gt=version - 1, lte=version)))
            found[decision_id] = cast(Experiment.Decided, event).decision()
        return found

    def _recorded(self, experiment: Experiment, decision: Decision) -> DecisionAnswer | None:
        version = experiment.decision_versions.get(decision.decision_id)
        return None if version is None else self._repeat(experiment, decision, version)

    def record_erasure(self, person_id: str, municipality: str, erased_by: dict[str, str]) -> int:
        """Record that a person was erased (once per person); return the event's position.

        The read models blank the person's data when the projector reaches this event.
        """
        try:
            recordings = self.save(Erasure.record(person_id, municipality, erased_by))
            log.info("person_erased", person_id=person_id)
            return recordings[-1].notification.id
        except IntegrityError:
            return self._positions(erasure_id(person_id), version=1)[1]

    # --- queries ------------------------------------------------------------------------

    def experiment(self, experiment_id: UUID) -> ExperimentState:
        return self._load(experiment_id).state

    def experiment_at(self, experiment_id: UUID, at: datetime) -> ExperimentState:
        """The experiment as it stood at `at`, folded from the events recorded until then."""
        aggregate: Experiment | None = None
        for event in cast(Iterable[Experiment.Decided], self.events.get(experiment_id)):
            if not isinstance(event, Experiment.Started | Experiment.Decided):
                break
            if event.timestamp > at:
                break
            aggregate = event.mutate(aggregate)
        if aggregate is None:
            raise ExperimentNotFound(
                f"experiment {experiment_id} did not exist at {at.isoformat()}"
            )
        return aggregate.state

    def experiment_ids(self, page_size: int = 1000) -> Iterator[UUID]:
        """Every experiment ever started, oldest first, read from the notification log."""
        return self.ids_begun_by(Experiment.Started, page_size)

    def ids_begun_by(self, first_event: type, page_size: int = 1000) -> Iterator[UUID]:
        """Every stream whose first event is of this class (an experiment's, a programme's),
        oldest first, read from the notification log."""
        topic = get_topic(first_event)
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start, page_size, topics=[topic], inclusive_of_start=False
            )
            for notification in page:
                yield UUID(str(notification.originator_id))
            if len(page) < page_size:
                return
            start = page[-1].id

    def age_of_event_after(self, position: int) -> float:
        """Seconds since the first event after `position` was recorded (0 if there is none)."""
        found = self.recorder.select_notifications(position, 1, inclusive_of_start=False)
        if not found:
            return 0.0
        event = cast(Experiment.Decided, self.mapper.to_domain_event(found[0]))
        return max(0.0, (datetime.now(UTC) - event.timestamp).total_seconds())

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def stored_page(self, after: int, limit: int) -> list[StoredRow]:
        """Up to `limit` stored events after position `after`, oldest first, as plain rows
        for `bulk.decode`: how a rebuild and a catch-up read the record."""
        return self._stored(self._stored_after + _PAGE, after, limit)

    def stored_partition(
        self, after: int, upto: int, partition: int, partitions: int
    ) -> list[StoredRow]:
        """The stored events after position `after` up to `upto` of the streams in
        `partition` of `partitions`, oldest first, as `stored_page` reads them. A stream's
        partition is the last byte of its originator id (random in version 4 and version 5
        ids alike), modulo `partitions`: all of one stream's events fall in one."""
        return self._stored(self._stored_after + _PARTITION, after, upto, partitions, partition)

    def _stored(self, query: sql.Composed, *params: int) -> list[StoredRow]:
        recorder = cast(PostgresApplicationRecorder, self.recorder)
        with (
            recorder.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row, binary=True) as cursor,
        ):
            cursor.execute(query, params, prepare=True)
            return cast(list[StoredRow], cursor.fetchall())

    @functools.cached_property
    def _stored_after(self) -> sql.Composed:
        recorder = cast(PostgresApplicationRecorder, self.recorder)
        return sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}.{}"
            " WHERE notification_id > %s "
        ).format(
            sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name)
        )

    # --- helpers ------------------------------------------------------------------------

    def find(self, experiment_id: UUID) -> Experiment | None:
        try:
            found: Any = self.repository.get(experiment_id)
        except AggregateNotFoundError:
            return None
        # Another kind of record (an erasure) under that id is no experiment either.
        return found if isinstance(found, Experiment) else None

    def _load(self, experiment_id: UUID) -> Experiment:
        found = self.find(experiment_id)
        if found is None:
            raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
        return found

    def _repeat(self, experiment: Experiment, decision: Decision, version: int) -> DecisionAnswer:
        """The first answer to a decision, after checking the repeat asks for the same thing."""
        first = cast(
            Experiment.Decided,
            next(iter(self.events.get(experiment.id, gt=version - 1, lte=version))),
        )
        fingerprint = first.decision().fingerprint()
        check_repeat(fingerprint, decision)
        at_version = cast(Experiment, self.repository.get(experiment.id, version=version))
        log.info(
            "decision_repeated",
            experiment_id=str(experiment.id),
            decision_id=first.decision_id,
        )
        return DecisionAnswer(
            decision_id=first.decision_id,
            experiment=at_version.state.to_dict(),
            position=self._positions(experiment.id, version=version)[version],
            repeated=True,
            fingerprint=fingerprint,
        )

    def position_of(self, originator_id: UUID, version: int) -> int:
        """The log position of one stored event (of an experiment, or of a programme)."""
        return self._positions(originator_id, version=version)[version]

    def _positions(self, experiment_id: UUID, version: int | None = None) -> dict[int, int]:
        """Notification ids (positions) of the experiment's events, by version."""
        recorder = cast(PostgresApplicationRecorder, self.recorder)
        query = sql.SQL(
            "SELECT originator_version, notification_id FROM {}.{} WHERE originator_id = %s"
        ).format(
            sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name)
        )
        params: list[Any] = [experiment_id]
        if version is not None:
            query += sql.SQL(" AND originator_version = %s")
            params.append(version)
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, params)
            return {row["originator_version"]: row["notification_id"] for row in cursor.fetchall()}
