"""Folding a run of stored events into read-model rows, the same way live and in bulk.

The live projector folds one event per transaction for low latency; a rebuild or a catch-up
after a pause folds thousands per transaction. Both go through `Fold`, so a rebuilt read
model equals an incrementally built one row for row.

Longer than 200 lines, and whole on purpose: opening sealed values, blanking erased ones and
making the rows of every read model is one pass over an event.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import orjson
from psycopg import Cursor, sql

from domain.decisions import DecisionType
from domain.experiment import Experiment
from domain.people import Erasure, get_path, sealed_paths, set_path
from domain.programme import ProgrammeDecisionType, ProgrammeState
from domain.programme import begin as begin_programme
from domain.programme import evolve as evolve_programme
from domain.programme_record import Programme
from domain.state import ExperimentState, begin_by, evolve_by
from projections import commons, decisions, experiments, lessons, programmes
from services.infra.crypto import Keyring

# What a fold keeps per stream: an experiment's state or a programme's.
FoldedState = ExperimentState | ProgrammeState


# The events that begin a stream and those that continue one (tuples: a union written in
# an `isinstance` is built anew at every call).
_BEGINNING = (Experiment.Started, Programme.Created)
_CONTINUING = (Experiment.Decided, Programme.Decided)


@dataclass(frozen=True)
class Survey:
    """What a run of events needs before it folds: the keys of `people` whose sealed data
    the events hold, and the states of the `missing` streams they continue."""

    people: set[str]
    missing: list[UUID]


def survey(events: Iterable[Any], states: dict[UUID, FoldedState]) -> Survey:
    """One pass over the events for both needs: a rebuild asks it of every page, and two
    passes cost a tenth of the fold."""
    people: set[str] = set()
    started: set[UUID] = set()
    missing: set[UUID] = set()
    for event in events:
        if isinstance(event, _CONTINUING):
            fields = vars(event)
            stream = fields["originator_id"]
            if stream not in states and stream not in started:
                missing.add(stream)
        elif isinstance(event, _BEGINNING):
            fields = vars(event)
            started.add(fields["originator_id"])
        else:
            continue
        for _, owner in sealed_paths(fields["actor"], fields["payload"]):
            people.add(owner)
    return Survey(people, sorted(missing))


class Fold:
    """Experiment states, decision rows and lesson rows that a run of events produces.

    Personal data is opened here with its person's key, so the read models can show and
    search it; whatever belongs to a person erased by now is blanked and marked instead.
    """

    def __init__(
        self, keyring: Keyring | None = None, states: dict[UUID, FoldedState] | None = None
    ) -> None:
        self.keyring = keyring or Keyring({})
        # May be shared by the folds of consecutive batches, so that a catch-up need not
        # read back the states it wrote itself (experiments' and programmes', by id).
        self.states: dict[UUID, FoldedState] = {} if states is None else states
        self.positions: dict[UUID, int] = {}
        self.programme_positions: dict[UUID, int] = {}
        self.programme_decision_rows: list[str] = []
        # Lines of COPY text (see `projections.copy_text`).
        self.decision_rows: list[str] = []
        self.lesson_rows: list[str] = []
        # The latest publication of each lesson (experiment id, lesson id) in this run.
        self.publications: dict[tuple[str, str], dict[str, Any]] = {}
        self.erasures: list[str] = []
        self.events = 0

    def load(self, docs: Iterable[tuple[UUID, dict[str, Any]]]) -> None:
        for originator_id, doc in docs:
            # A programme's document names its period; an experiment's has none.
            self.states[originator_id] = (
                ProgrammeState.from_dict(doc) if "period" in doc else ExperimentState.from_dict(doc)
            )

    def add(self, event: Any, position: int) -> None:
        # The event's fields, read from its dictionary: this runs for every stored event on
        # every rebuild, and attribute lookups through the event classes cost four times more.
        self.events += 1
        fields = vars(event)
        if isinstance(event, Experiment.Started):
            state = begin_by(str(event.originator_id), fields["payload"], at=fields["timestamp"])
        elif isinstance(event, Experiment.Decided):
            before = self.states.get(fields["originator_id"])
            if not isinstance(before, ExperimentState):  # pragma: no cover - never stored so
                raise LookupError(f"no state for experiment {fields['originator_id']}")
            state = evolve_by(
                before, event.decision_type, fields["payload"], at=fields["timestamp"]
            )
        elif isinstance(event, Erasure.Recorded):
            self.erasures.append(event.person_id)
            return
        elif isinstance(event, Programme.Created | Programme.Decided):
            self._add_programme(event, fields, position)
            return
        else:
            return  # an event this version of the read models does not show
        actor, payload, sealed, erased = self.opened(fields["actor"], fields["payload"])
        experiment_id = fields["originator_id"]
        self.states[experiment_id] = state
        self.positions[experiment_id] = position
        self.decision_rows.append(
            decisions.row(
                fields,
                event.decision_type,
                position,
                state.id,
                state.municipality,
                actor,
                payload,
                sealed,
                erased,
            )
        )
        if event.decision_type is DecisionType.RECORD_LESSON:
            themes = payload.get("themes") or [t.value for t in state.themes]
            self.lesson_rows.append(
                lessons.row(fields, position, state, payload["text"], themes, sealed, erased)
            )
        elif event.decision_type is DecisionType.PUBLISH_LESSON:
            key = (state.id, payload["lesson"])
            self.publications[key] = commons.record(
                state.id,
                state.municipality,
                payload,
                fields["timestamp"],
                position,
                self.publications.get(key),
            )

    def _add_programme(self, event: Any, fields: dict[str, Any], position: int) -> None:
        programme_id = fields["originator_id"]
        if isinstance(event, Programme.Created):
            state = begin_programme(str(programme_id), fields["payload"], at=fields["timestamp"])
            kind = ProgrammeDecisionType.CREATE.value
        else:
            before = self.states.get(programme_id)
            if not isinstance(before, ProgrammeState):  # pragma: no cover - never stored so
                raise LookupError(f"no state for programme {programme_id}")
            kind = fields["decision_type"]
            state = evolve_programme(
                before, ProgrammeDecisionType(kind), fields["payload"], at=fields["timestamp"]
            )
        self.states[programme_id] = state
        self.programme_positions[programme_id] = position
        opened = self.opened(fields["actor"], fields["payload"])
        self.programme_decision_rows.append(
            programmes.decision_row(fields, kind, position, state, opened)
        )

    def opened(
        self, actor: dict[str, Any], payload: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], list[str]]:
        """Actor and payload with sealed values opened, where they were, and what is gone."""
        paths = sealed_paths(actor, payload)
        if not paths:
            return actor, payload, {}, []
        actor, payload = dict(actor), copy.deepcopy(payload)
        sealed: dict[str, str] = {}
        erased: list[str] = []
        for path, owner in paths:
            sealed[path] = owner
            value = self.keyring.open(get_path(actor, payload, path))
            if value is None:
                erased.append(path)
                value = ""
            set_path(actor, payload, path, value)
        return actor, payload, sealed, erased

    def rows(self) -> Rows:
        """Everything folded so far, encoded: a snapshot that later folds do not change."""
        touched = [
            experiments.row(cast(ExperimentState, self.states[i]), self.positions[i])
            for i in self.positions
        ]
        programmes_touched = [
            programmes.row(cast(ProgrammeState, self.states[i]), self.programme_positions[i])
            for i in self.programme_positions
        ]
        return Rows(
            events=self.events,
            experiments=orjson.dumps(touched).decode() if touched else None,
            decisions="".join(self.decision_rows) or None,
            lessons="".join(self.lesson_rows) or None,
            erasures=tuple(self.erasures),
            publications=orjson.dumps(list(self.publications.values())).decode()
            if self.publications
            else None,
            programmes=orjson.dumps(programmes_touched).decode() if programmes_touched else None,
            programme_decisions="".join(self.programme_decision_rows) or None,
        )

    def write(self, cursor: Cursor[Any], schema: str) -> None:
        """Write everything folded so far; the caller owns the transaction."""
        self.rows().write(cursor, schema)


@dataclass(frozen=True)
class Rows:
    """The rows of a fold, encoded: experiments as a JSON array for an upsert, decisions and
    lessons as COPY text (see `projections.copy_text`).

    Encoding is the last step that needs Python; what is left is the database's work, which a
    catch-up hands to another thread while it folds the next batch.
    """

    events: int
    experiments: str | None
    decisions: str | None
    lessons: str | None
    erasures: tuple[str, ...]
    publications: str | None = None
    programmes: str | None = None
    programme_decisions: str | None = None

    def write(self, cursor: Cursor[Any], schema: str) -> None:
        self.write_rows(cursor, schema)
        self.forget_erased(cursor, schema)

    def write_rows(self, cursor: Cursor[Any], schema: str) -> None:
        name = sql.Identifier(schema)
        if self.experiments:
            cursor.execute(sql.SQL(experiments.UPSERT).format(schema=name), (self.experiments,))
        for statement, rows in ((decisions.COPY, self.decisions), (lessons.COPY, self.lessons)):
            if rows:
                with cursor.copy(sql.SQL(statement).format(schema=name)) as out:
                    out.write(rows)
        if self.publications:
            cursor.execute(sql.SQL(commons.UPSERT).format(schema=name), (self.publications,))
        if self.programmes:
            cursor.execute(sql.SQL(programmes.UPSERT).format(schema=name), (self.programmes,))
        if self.programme_decisions:
            with cursor.copy(sql.SQL(programmes.COPY).format(schema=name)) as out:
                out.write(self.programme_decisions)

    def forget_erased(self, cursor: Cursor[Any], schema: str) -> None:
        for person_id in self.erasures:
            forget(cursor, schema, person_id)


@dataclass(frozen=True)
class PartitionedRows:
    """The rows that several processes folded from one page of events, each from the
    streams of its partition (`projections.partitioned`): every part's rows, then every
    part's erasures, so that an erasure blanks what any partition wrote."""

    parts: tuple[Rows, ...]

    @property
    def events(self) -> int:
        return sum(part.events for part in self.parts)

    def write(self, cursor: Cursor[Any], schema: str) -> None:
        for part in self.parts:
            part.write_rows(cursor, schema)
        for part in self.parts:
            part.forget_erased(cursor, schema)


def forget(cursor: Cursor[Any], schema: str, person_id: str) -> None:
    """Blank an erased person's data in every row that showed it."""
    name = sql.Identifier(schema)
    cursor.execute(
        sql.SQL(
            "SELECT position, actor, payload, sealed, erased FROM {}.decisions "
            "WHERE people @> ARRAY[%s] FOR UPDATE"
        ).format(name),
        (person_id,),
    )
    updates = []
    for record in cursor.fetchall():
        actor, payload = dict(record["actor"]), copy.deepcopy(record["payload"])
        erased = list(record["erased"])
        for path, owner in record["sealed"].items():
            if owner == person_id and path not in erased:
                set_path(actor, payload, path, "")
                erased.append(path)
        updates.append(
            (
                orjson.dumps(actor).decode(),
                orjson.dumps(payload).decode(),
                erased,
                record["position"],
            )
        )
    if updates:
        cursor.executemany(
            sql.SQL(
                "UPDATE {}.decisions SET actor = %s, payload = %s, erased = %s WHERE position = %s"
            ).format(name),
            updates,
        )
    cursor.execute(
        sql.SQL("UPDATE {}.lessons SET text = '', erased = true WHERE owner = %s").format(name),
        (person_id,),
    )
    # A programme decision seals nothing but its taker's name.
    cursor.execute(
        sql.SQL(
            "UPDATE {}.programme_decisions SET actor = jsonb_set(actor, '{{name}}', '\"\"'),"
            " erased = array_append(erased, 'actor.name')"
            " WHERE people @> ARRAY[%s] AND NOT 'actor.name' = ANY(erased)"
        ).format(name),
        (person_id,),
    )


def load_states(
    cursor: Cursor[Any], schema: str, ids: Sequence[UUID]
) -> list[tuple[UUID, dict[str, Any]]]:
    if not ids:
        return []
    found = []
    for select in (experiments.SELECT_DOCS, programmes.SELECT_DOCS):
        cursor.execute(sql.SQL(select).format(schema=sql.Identifier(schema)), (list(ids),))
        found += [
            (row["id"], row["doc"] if isinstance(row["doc"], dict) else json.loads(row["doc"]))
            for row in cursor.fetchall()
        ]
    return found
