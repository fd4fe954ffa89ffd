"""Hand-written fakes of the use cases' ports (`services.app.ports`): the event store, the
workflows and the people registry in memory, so deciding, sealing and erasure are tested
without PostgreSQL or Temporal."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain import rules
from domain.answers import DecisionAnswer, check_repeat
from domain.decisions import Decision
from domain.errors import ExperimentNotFound, PersonNotFound
from domain.experiment import Experiment
from services.app.errors import WorkflowNotRunning
from services.infra.crypto import new_key
from services.stores.people import Claim, Person, new_person_id


@dataclass
class FakeRecord:
    """The event store: experiments as aggregates in memory, answers by decision id."""

    experiments: dict[UUID, Experiment] = field(default_factory=dict)
    answers: dict[str, DecisionAnswer] = field(default_factory=dict)
    erasures: list[tuple[str, str]] = field(default_factory=list)
    taken: dict[UUID, dict[str, Decision]] = field(default_factory=dict)

    def take(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        """What the record activity does: append, or answer a repeat with the first answer."""
        if decision.decision_id in self.answers:
            first = self.answers[decision.decision_id]
            check_repeat(first.fingerprint, decision)
            return DecisionAnswer(
                first.decision_id, first.experiment, first.position, True, first.fingerprint
            )
        if experiment_id not in self.experiments:
            self.experiments[experiment_id] = Experiment.start(
                decision, experiment_id=experiment_id
            )
        else:
            self.experiments[experiment_id].decide(decision)
        answer = DecisionAnswer(
            decision.decision_id,
            self.experiments[experiment_id].state.to_dict(),
            position=len(self.answers) + 1,
            fingerprint=decision.fingerprint(),
        )
        self.answers[decision.decision_id] = answer
        self.taken.setdefault(experiment_id, {})[decision.decision_id] = decision
        return answer

    def find(self, experiment_id: UUID) -> Experiment | None:
        return self.experiments.get(experiment_id)

    def recorded_decisions(
        self, experiment_id: UUID, decision_ids: Iterable[str]
    ) -> dict[str, Decision]:
        taken = self.taken.get(experiment_id, {})
        return {one: taken[one] for one in decision_ids if one in taken}

    def answer_without_deciding(
        self, experiment_id: UUID, decision: Decision
    ) -> DecisionAnswer | None:
        found = self.experiments.get(experiment_id)
        if found is None:
            raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
        if decision.decision_id in self.answers:
            return self.answers[decision.decision_id]
        rules.check(found.state, decision)
        return None

    def recorded_answer(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer | None:
        first = self.answers.get(decision.decision_id)
        if experiment_id not in self.experiments or first is None:
            return None
        check_repeat(first.fingerprint, decision)
        return first

    def record_erasure(self, person_id: str, municipality: str, erased_by: dict[str, str]) -> int:
        self.erasures.append((person_id, municipality))
        return 1000 + len(self.erasures)


@dataclass
class FakeWorkflows:
    """The workflows: each experiment's is running unless `lost`; every call is logged."""

    record: FakeRecord
    lost: set[UUID] = field(default_factory=set)
    hang: bool = False
    calls: list[str] = field(default_factory=list)

    async def start(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        self.calls.append("start")
        return self.record.take(experiment_id, decision)

    async def decide(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        self.calls.append("decide")
        if self.hang:
            await asyncio.Event().wait()
        if experiment_id in self.lost:
            raise WorkflowNotRunning(f"the workflow of experiment {experiment_id} is not running")
        rules.check(self.record.experiments[experiment_id].state, decision)
        return self.record.take(experiment_id, decision)

    async def restart_from_record(self, experiment: Experiment) -> None:
        self.calls.append("restart")
        self.lost.discard(experiment.id)


@dataclass
class FakePeople:
    """The people registry: keys and profiles in memory."""

    keys: dict[str, bytes] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    by_name: dict[tuple[str, str, str], str] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)

    def register(self, municipality: str, name: str, contact: str = "") -> str:
        person_id = new_person_id()
        self.keys[person_id] = new_key()
        self.people[person_id] = Person(
            person_id, municipality, name, contact, datetime.now(UTC), None
        )
        return person_id

    def key_of(self, person_id: str) -> bytes | None:
        return self.keys.get(person_id)

    def find(self, person_id: str) -> Person | None:
        return self.people.get(person_id)

    claims: dict[Claim, set[str]] = field(default_factory=dict)
    unconfirmed: set[str] = field(default_factory=set)

    def mention(
        self, municipality: str, name: str, contact: str, *, claim: Claim | None = None
    ) -> str:
        known = (municipality, name.casefold(), contact.casefold())
        if known not in self.by_name:
            self.by_name[known] = self.register(municipality, name, contact)
            if claim is not None:
                self.unconfirmed.add(self.by_name[known])
        person_id = self.by_name[known]
        if person_id in self.unconfirmed:
            if claim is None:
                self.unconfirmed.discard(person_id)
            else:
                self.claims.setdefault(claim, set()).add(person_id)
        return person_id

    def settle(self, claim: Claim, *, accepted: bool) -> list[str]:
        released = self.claims.pop(claim, set())
        if accepted:
            self.unconfirmed -= released
            return []
        held = set().union(*self.claims.values()) if self.claims else set()
        gone = sorted(p for p in released if p in self.unconfirmed and p not in held)
        for person_id in gone:
            self.unconfirmed.discard(person_id)
            self.keys.pop(person_id, None)
            self.people.pop(person_id, None)
            self.by_name = {k: v for k, v in self.by_name.items() if v != person_id}
        return gone

    def stale_claims(self, older_than: timedelta) -> list[Claim]:
        return list(self.claims)

    def forget(self, person_id: str, erased_by: str) -> Person:
        found = self.people.get(person_id)
        if found is None:
            raise PersonNotFound(f"person {person_id} does not exist")
        self.keys.pop(person_id, None)
        self.forgotten.append(person_id)
        erased = Person(person_id, found.municipality, "", "", found.created_at, datetime.now(UTC))
        self.people[person_id] = erased
        return erased


@dataclass
class FakeKeys:
    revoked: list[str] = field(default_factory=list)
    sessions_ended: list[str] = field(default_factory=list)

    def revoke_person(self, person_id: str) -> int:
        self.revoked.append(person_id)
        return 1

    def end_person(self, person_id: str) -> int:
        self.sessions_ended.append(person_id)
        return 1
