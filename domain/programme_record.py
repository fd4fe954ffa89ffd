"""The `Programme` aggregate: one stream of decision events per programme, beside the
experiments' in the same event store. Commands check the rules; events only assign."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.programme import (
    ProgrammeDecision,
    ProgrammeDecisionType,
    ProgrammeState,
    begin,
    check,
    evolve,
)

# Programme ids derived from a create key (an Idempotency-Key), as experiments' are.
CREATE_KEY_NAMESPACE = uuid.UUID("3b0f5a0e-9d55-4f2e-8f7c-1c6a2a9d4e21")


def programme_id_for(municipality: str, create_key: str | None) -> uuid.UUID:
    if create_key is None:
        return uuid.uuid4()
    return uuid.uuid5(CREATE_KEY_NAMESPACE, f"{municipality}\x1f{create_key}")


class Programme(Aggregate):
    class Created(Aggregate.Created):
        decision_id: str
        actor: dict[str, Any]
        rationale: str
        payload: dict[str, Any]

        def apply(self, aggregate: Programme) -> None:
            aggregate.state = begin(str(self.originator_id), self.payload, at=self.timestamp)
            aggregate.decision_versions = {self.decision_id: self.originator_version}

    class Decided(Aggregate.Event):
        decision_id: str
        decision_type: str
        actor: dict[str, Any]
        rationale: str
        payload: dict[str, Any]

        def apply(self, aggregate: Programme) -> None:
            aggregate.state = evolve(
                aggregate.state,
                ProgrammeDecisionType(self.decision_type),
                self.payload,
                at=self.timestamp,
            )
            aggregate.decision_versions[self.decision_id] = self.originator_version

    def __init__(
        self, decision_id: str, actor: dict[str, Any], rationale: str, payload: dict[str, Any]
    ) -> None:
        # Filled in by `Created.apply`, which runs right after this.
        self.state: ProgrammeState
        self.decision_versions: dict[str, int] = {}

    @classmethod
    def create(
        cls, decision: ProgrammeDecision, *, programme_id: uuid.UUID, at: datetime | None = None
    ) -> Programme:
        check(None, decision)
        return cls._create(
            cls.Created,
            id=programme_id,
            timestamp=at,
            decision_id=decision.decision_id,
            actor=decision.actor.to_dict(),
            rationale=decision.rationale,
            payload=decision.payload,
        )

    def decide(self, decision: ProgrammeDecision, *, at: datetime | None = None) -> None:
        check(self.state, decision)
        self.trigger_event(
            self.Decided,
            timestamp=at,
            decision_id=decision.decision_id,
            decision_type=decision.type.value,
            actor=decision.actor.to_dict(),
            rationale=decision.rationale,
            payload=decision.payload,
        )
