"""Folding a run of stored events into read-model rows, the same way live and in bulk.

The live projector folds one event per transaction for low latency; a rebuild or a catch-up
after a pause folds thousands per transaction. Both go through `Fold`, so a rebuilt read
model equals an incrementally built one row for row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from psycopg import Cursor, sql

from domain.decisions import DecisionType
from domain.experiment import Experiment
from domain.state import ExperimentState, begin, evolve_by
from projections import decisions, experiments, lessons


class Fold:
    """Experiment states, decision rows and lesson rows that a run of events produces."""

    def __init__(self) -> None:
        self.states: dict[UUID, ExperimentState] = {}
        self.positions: dict[UUID, int] = {}
        self.decision_rows: list[tuple[Any, ...]] = []
        self.lesson_rows: list[tuple[Any, ...]] = []

    def needs(self, events: Iterable[Any]) -> set[UUID]:
        """Experiments whose current state must be loaded before these events fold."""
        return {
            e.originator_id
            for e in events
            if isinstance(e, Experiment.Decided) and e.originator_id not in self.states
        }

    def load(self, docs: Iterable[tuple[UUID, dict[str, Any]]]) -> None:
        for experiment_id, doc in docs:
            self.states[experiment_id] = ExperimentState.from_dict(doc)

    def add(self, event: Any, position: int) -> None:
        if isinstance(event, Experiment.Started):
            state = begin(str(event.originator_id), event.decision(), at=event.timestamp)
        elif isinstance(event, Experiment.Decided):
            before = self.states.get(event.originator_id)
            if before is None:  # pragma: no cover - the store never holds such an event
                raise LookupError(f"no state for experiment {event.originator_id}")
            state = evolve_by(before, event.decision_type, event.payload, at=event.timestamp)
        else:
            return  # an event this version of the read models does not show
        experiment_id = event.originator_id
        self.states[experiment_id] = state
        self.positions[experiment_id] = position
        self.decision_rows.append(
            decisions.row(
                position=position,
                experiment_id=experiment_id,
                municipality=state.municipality,
                version=event.originator_version,
                decision_id=event.decision_id,
                type=event.decision_type.value,
                cycle=event.cycle,
                stage=event.stage,
                actor=event.actor,
                rationale=event.rationale,
                payload=event.payload,
                source=event.source,
                at=event.timestamp,
            )
        )
        if event.decision_type is DecisionType.RECORD_LESSON:
            themes = event.payload.get("themes") or [t.value for t in state.themes]
            self.lesson_rows.append(
                (
                    position,
                    experiment_id,
                    state.municipality,
                    state.neighbourhood.code,
                    state.title,
                    event.cycle,
                    event.decision_id,
                    event.payload["text"],
                    themes,
                    event.timestamp,
                )
            )

    def write(self, cursor: Cursor[Any], schema: str) -> None:
        """Write everything folded so far; the caller owns the transaction."""
        name = sql.Identifier(schema)
        if self.states:
            cursor.executemany(
                sql.SQL(experiments.UPSERT).format(schema=name),
                [experiments.row(self.states[i], self.positions[i]) for i in self.positions],
            )
        for statement, rows in (
            (decisions.COPY, self.decision_rows),
            (lessons.COPY, self.lesson_rows),
        ):
            if rows:
                with cursor.copy(sql.SQL(statement).format(schema=name)) as copy:
                    for r in rows:
                        copy.write_row(r)


def load_states(
    cursor: Cursor[Any], schema: str, ids: Sequence[UUID]
) -> list[tuple[UUID, dict[str, Any]]]:
    if not ids:
        return []
    cursor.execute(
        sql.SQL(experiments.SELECT_DOCS).format(schema=sql.Identifier(schema)), (list(ids),)
    )
    return [
        (row["id"], row["doc"] if isinstance(row["doc"], dict) else json.loads(row["doc"]))
        for row in cursor.fetchall()
    ]
