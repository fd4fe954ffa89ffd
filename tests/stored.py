"""The decision record as stored, read straight from the event store: what the tests compare
the answers, the read models and the workflows against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from domain.errors import ExperimentNotFound
from domain.experiment import Experiment
from services.infra.event_store import Experiments


@dataclass(frozen=True)
class HistoryEntry:
    decision_id: str
    type: str
    cycle: int
    stage: str
    actor: dict[str, Any]
    rationale: str
    payload: dict[str, Any]
    source: str
    at: datetime
    position: int
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "type": self.type,
            "cycle": self.cycle,
            "stage": self.stage,
            "actor": self.actor,
            "rationale": self.rationale,
            "payload": self.payload,
            "source": self.source,
            "at": self.at.isoformat(),
            "position": self.position,
        }


def stored_history(experiments: Experiments, experiment_id: UUID) -> list[HistoryEntry]:
    """Every decision of the experiment, oldest first, with its position in the log."""
    events = list(experiments.events.get(experiment_id))
    if not events or not isinstance(events[0], Experiment.Started):
        raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
    positions = experiments._positions(experiment_id)
    return [
        HistoryEntry(
            decision_id=e.decision_id,
            type=e.decision_type.value,
            cycle=e.cycle,
            stage=e.stage,
            actor=e.actor,
            rationale=e.rationale,
            payload=e.payload,
            source=e.source,
            at=e.timestamp,
            position=positions[e.originator_version],
            version=e.originator_version,
        )
        for e in cast(list[Experiment.Decided], events)
    ]
