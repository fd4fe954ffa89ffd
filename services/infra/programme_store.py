"""Programmes in the event store: created and decided by their workflow's activities, each
decision once by its id (a repeat is answered from the record, a reused id refused)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrentDecision
from domain.programme import (
    ProgrammeAnswer,
    ProgrammeDecision,
    ProgrammeDecisionType,
    ProgrammeNotFound,
    ProgrammeState,
    check_repeat,
)
from domain.programme_record import Programme
from domain.values import Actor
from services.infra.event_store import Experiments

log = structlog.get_logger(__name__)


class Programmes:
    """The programmes' streams, in the experiments' event store (one log, one order)."""

    def __init__(self, store: Experiments) -> None:
        self.store = store

    def find(self, programme_id: UUID) -> Programme | None:
        try:
            found: Any = self.store.repository.get(programme_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Programme) else None

    def create(
        self, decision: ProgrammeDecision, *, programme_id: UUID, at: datetime | None = None
    ) -> ProgrammeAnswer:
        existing = self.find(programme_id)
        if existing is not None:
            return self._repeat(existing, decision, 1)
        programme = Programme.create(decision, programme_id=programme_id, at=at)
        try:
            recordings = self.store.save(programme)
        except IntegrityError:
            existing = self.find(programme_id)
            if existing is None:  # pragma: no cover - the conflicting row must exist
                raise
            return self._repeat(existing, decision, 1)
        log.info("programme_created", programme_id=str(programme_id))
        return ProgrammeAnswer(
            decision.decision_id,
            programme.state.to_dict(),
            recordings[-1].notification.id,
            fingerprint=decision.fingerprint(),
        )

    def decide(
        self, programme_id: UUID, decision: ProgrammeDecision, *, at: datetime | None = None
    ) -> ProgrammeAnswer:
        programme = self.find(programme_id)
        if programme is None:
            raise ProgrammeNotFound(f"programme {programme_id} does not exist")
        version = programme.decision_versions.get(decision.decision_id)
        if version is not None:
            return self._repeat(programme, decision, version)
        programme.decide(decision, at=at)
        try:
            recordings = self.store.save(programme)
        except IntegrityError:
            latest = self.find(programme_id)
            if latest is not None and decision.decision_id in latest.decision_versions:
                return self._repeat(
                    latest, decision, latest.decision_versions[decision.decision_id]
                )
            raise ConcurrentDecision(
                f"another decision was recorded on programme {programme_id} first"
            ) from None
        log.info(
            "programme_decision_recorded",
            programme_id=str(programme_id),
            decision_id=decision.decision_id,
            type=decision.type.value,
        )
        return ProgrammeAnswer(
            decision.decision_id,
            programme.state.to_dict(),
            recordings[-1].notification.id,
            fingerprint=decision.fingerprint(),
        )

    def programme_ids(self) -> Iterator[UUID]:
        """Every programme ever created, oldest first."""
        return self.store.ids_begun_by(Programme.Created)

    def state_of(self, programme_id: UUID) -> ProgrammeState | None:
        found = self.find(programme_id)
        return None if found is None else found.state

    def recent_ids_of(self, programme_id: UUID, limit: int = 500) -> list[str]:
        found = self.find(programme_id)
        if found is None:
            return []
        ids = sorted(found.decision_versions, key=found.decision_versions.__getitem__)
        return ids[-limit:]

    def answer_of(self, programme_id: UUID, decision: ProgrammeDecision) -> ProgrammeAnswer | None:
        """The first answer to `decision` if the record holds its id."""
        found = self.find(programme_id)
        if found is None or decision.decision_id not in found.decision_versions:
            return None
        return self._repeat(found, decision, found.decision_versions[decision.decision_id])

    def _repeat(
        self, programme: Programme, decision: ProgrammeDecision, version: int
    ) -> ProgrammeAnswer:
        event = next(iter(self.store.events.get(programme.id, gt=version - 1, lte=version)))
        fields = vars(event)
        kind = (
            ProgrammeDecisionType.CREATE
            if isinstance(event, Programme.Created)
            else ProgrammeDecisionType(fields["decision_type"])
        )
        actor = fields["actor"]
        first = ProgrammeDecision(
            fields["decision_id"],
            kind,
            Actor.from_dict(actor),
            fields["rationale"],
            fields["payload"],
        )
        check_repeat(first.fingerprint(), decision)
        at_version = cast(Programme, self.store.repository.get(programme.id, version=version))
        position = self.store.position_of(programme.id, version)
        return ProgrammeAnswer(
            first.decision_id,
            at_version.state.to_dict(),
            position,
            repeated=True,
            fingerprint=first.fingerprint(),
        )
