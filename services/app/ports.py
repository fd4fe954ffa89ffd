"""The ports the use cases work against: small protocols that PostgreSQL stores, the event
store and Temporal implement in production, and hand-written fakes in the unit tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol
from uuid import UUID

from domain.answers import DecisionAnswer
from domain.decisions import Decision
from domain.experiment import Experiment
from services.stores.people import Claim, Person


class DecisionRecord(Protocol):
    """The event store, as far as deciding and erasing need it."""

    def find(self, experiment_id: UUID) -> Experiment | None: ...

    def answer_without_deciding(
        self, experiment_id: UUID, decision: Decision
    ) -> DecisionAnswer | None: ...

    def recorded_answer(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer | None: ...

    def recorded_decisions(
        self, experiment_id: UUID, decision_ids: Iterable[str]
    ) -> dict[str, Decision]: ...

    def record_erasure(
        self, person_id: str, municipality: str, erased_by: dict[str, str]
    ) -> int: ...


class ExperimentWorkflowsPort(Protocol):
    """The experiments' workflows: every decision goes through one."""

    async def start(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer: ...

    async def decide(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer: ...

    async def restart_from_record(self, experiment: Experiment) -> None: ...


class PeopleDirectory(Protocol):
    """Who the pseudonymous person ids are, and their keys."""

    def key_of(self, person_id: str) -> bytes | None: ...

    def find(self, person_id: str) -> Person | None: ...

    def mention(
        self, municipality: str, name: str, contact: str, *, claim: Claim | None = None
    ) -> str: ...

    def register(self, municipality: str, name: str, contact: str = "") -> str: ...

    def settle(self, claim: Claim, *, accepted: bool) -> list[str]: ...

    def stale_claims(self, older_than: timedelta) -> list[Claim]: ...


class PeopleRegistry(PeopleDirectory, Protocol):
    def forget(self, person_id: str, erased_by: str) -> Person: ...


class KeyRevoker(Protocol):
    def revoke_person(self, person_id: str) -> int: ...


class AccessEnder(Protocol):
    """A way in for a person (their sessions, their open invitations), ended for good."""

    def end_person(self, person_id: str) -> int: ...
