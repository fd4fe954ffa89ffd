"""Taking decisions on behalf of HTTP callers and webhooks: the one path every write takes.

It turns a request body into a checked domain decision, applies tenancy, seals what is
personal and hands the decision to the experiment's workflow. Routers stay thin; this is
where the write rules of the HTTP contract live.

Longer than 200 lines, and whole on purpose: every write takes this one path, and what it
checks before handing over (tenancy, evidence, the owner named) and how it settles an answer
after (a repeat, a claim, a workflow gone) belong to the same decision.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from structlog.contextvars import bind_contextvars

from domain import commons, rules
from domain.answers import DecisionAnswer, check_repeat
from domain.decisions import Decision, DecisionType, check_names, check_new_decision_id
from domain.errors import (
    DecisionIdReused,
    DomainError,
    ExperimentNotFound,
    InvalidInput,
    PersonErased,
    RuleViolation,
)
from domain.evidence import EvidenceNotOfExperiment
from domain.experiment import experiment_id_for
from domain.people import sealed_paths
from domain.programme import NeighbourhoodNotInProgramme, ProgrammeState, UnknownProgramme
from domain.register import UnknownNeighbourhood
from domain.values import Actor
from services.app.errors import DecisionPending, WorkflowNotRunning
from services.app.ports import DecisionRecord, ExperimentWorkflowsPort
from services.app.sealing import Sealing
from services.infra.crypto import CURRENT, Scheme
from services.metrics import DECISIONS
from services.stores.people import Claim

log = structlog.get_logger(__name__)

# A repeat of a decision first stored with `sealed:v1:` values seals differently now; sealed
# the old way it is recognised as the repeat it is (a reused id stays refused either way).
LEGACY: Scheme = "v1"

# A decision not answered within this is settled by what the record holds.
STALE_CLAIM = timedelta(minutes=15)

START_FIELDS = (
    "neighbourhood",
    "title",
    "question",
    "residents_agenda",
    "themes",
    "act_days",
    "programme_id",
)


class DecisionService:
    def __init__(
        self,
        experiments: DecisionRecord,
        workflows: ExperimentWorkflowsPort,
        sealing: Sealing,
        *,
        answer_timeout: float = 30.0,
        evidence_of: Callable[[UUID], set[str]] | None = None,
        residents_invited: Callable[[UUID], int] | None = None,
        register_knows: Callable[[str, str], bool | None] | None = None,
        programme_of: Callable[[UUID], ProgrammeState | None] | None = None,
    ) -> None:
        self.experiments = experiments
        self.workflows = workflows
        self.sealing = sealing
        self.answer_timeout = answer_timeout
        # The ids of the files kept for an experiment (none where no store is given).
        self.evidence_of: Callable[[UUID], set[str]] = evidence_of or (lambda _: set())
        # How many residents are invited to an experiment: what a share threshold is of.
        self.residents_invited: Callable[[UUID], int] = residents_invited or (lambda _: 0)
        # Whether a municipality's neighbourhood register has a code (None: it keeps none).
        self.register_knows: Callable[[str, str], bool | None] = register_knows or (
            lambda _m, _c: None
        )
        # A programme's current state (None: no such programme).
        self.programme_of: Callable[[UUID], ProgrammeState | None] = programme_of or (
            lambda _: None
        )
        self._owners: dict[UUID, str] = {}

    @staticmethod
    def decision_id(idempotency_key: str | None) -> str:
        return (
            check_new_decision_id(idempotency_key)
            if idempotency_key is not None
            else str(uuid.uuid4())
        )

    async def start(
        self,
        actor: Actor,
        municipality: str,
        body: dict[str, Any],
        idempotency_key: str | None,
        known_keys: Mapping[str, bytes] | None = None,
    ) -> DecisionAnswer:
        decision_id = self.decision_id(idempotency_key)
        payload = {field: body.get(field) for field in START_FIELDS if field in body}
        payload["municipality"] = municipality
        decision = Decision.parse(
            decision_id=decision_id,
            type=DecisionType.START.value,
            actor=actor,
            rationale=body.get("rationale") or "",
            source="api",
            payload=payload,
        )
        check_names(decision)
        await self._check_register(municipality, decision.payload["neighbourhood"]["code"])
        await self._check_programme(municipality, decision.payload)
        experiment_id = experiment_id_for(municipality, idempotency_key)
        bind_contextvars(experiment_id=str(experiment_id), decision_id=decision_id)
        sealed = await self._sealed(decision, municipality, known_keys or {})
        try:
            answer = await self._call(self.workflows.start(experiment_id, sealed))
        except DecisionIdReused:
            if not _holds_sealed(sealed):
                raise
            legacy = await self._sealed(decision, municipality, known_keys or {}, LEGACY)
            answer = await self._call(self.workflows.start(experiment_id, legacy))
        self._owners[experiment_id] = municipality
        DECISIONS.labels(type="start", source="api").inc()
        return answer

    async def decide(
        self,
        actor: Actor,
        scope: str | None,
        experiment_id: UUID,
        body: dict[str, Any],
        *,
        decision_id: str,
        source: str,
        known_keys: Mapping[str, bytes] | None = None,
        organisation: str | None = None,
    ) -> DecisionAnswer:
        """Take a decision on an experiment the caller's municipality (`scope`) can see;
        `known_keys` are sealing keys the caller already holds (see `Principal`), and
        `organisation` the partner organisation the caller speaks for."""
        bind_contextvars(experiment_id=str(experiment_id), decision_id=decision_id)
        owner = await self.owner(experiment_id)
        if owner is None or (scope is not None and owner != scope):
            raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
        fields = {k: v for k, v in body.items() if k not in ("type", "rationale")}
        kind = body.get("type")
        if kind == DecisionType.START.value:
            raise InvalidInput("start an experiment with POST /v1/experiments", field="type")
        await self._fill_in(kind, fields, experiment_id, organisation)
        decision = Decision.parse(
            decision_id=decision_id,
            type=kind,
            actor=actor,
            rationale=body.get("rationale"),
            source=source,
            payload=fields,
        )
        rules.check_role(decision)
        check_names(decision)
        await self._check_evidence(experiment_id, decision)
        await self._check_owner(owner, decision)
        await self._check_publication(experiment_id, decision)
        # Someone named by name is registered only for a decision that stands: held by this
        # claim until the answer is known, released (and deleted) when it is refused.
        claim = Claim(experiment_id, decision_id) if Sealing.names_someone(decision) else None
        try:
            answer = await self._sealed_and_handed_over(
                experiment_id, decision, owner, known_keys or {}, claim
            )
        except DecisionPending:
            raise  # not known yet: a repeat settles it, or `settle_stale_claims` later
        except DomainError:
            if claim is not None:
                await asyncio.to_thread(self.settle_from_record, claim)
            raise
        if claim is not None:
            await asyncio.to_thread(self.sealing.settle, claim, accepted=True)
        DECISIONS.labels(type=decision.type.value, source=source.split(":")[0]).inc()
        return answer

    async def _fill_in(
        self, kind: Any, fields: dict[str, Any], experiment_id: UUID, organisation: str | None
    ) -> None:
        """What wijklab knows better than the caller: how many residents a round's share is
        of, and which organisation a partner co-signs for."""
        if kind == DecisionType.OPEN_ENDORSEMENT.value:
            fields["electorate"] = await asyncio.to_thread(self.residents_invited, experiment_id)
        elif kind == DecisionType.CO_SIGN.value:
            fields["organisation"] = organisation

    async def _check_register(self, municipality: str, code: str) -> None:
        """Where the municipality keeps a register, an experiment starts on one of its codes."""
        known = await asyncio.to_thread(self.register_knows, municipality, code)
        if known is False:
            raise UnknownNeighbourhood(
                f"{code} is not in the neighbourhood register of {municipality}",
                field="neighbourhood.code",
            )

    async def _check_programme(self, municipality: str, payload: dict[str, Any]) -> None:
        """An experiment started in a programme is of the programme's municipality, and in
        one of its neighbourhoods."""
        if "programme_id" not in payload:
            return
        found = await asyncio.to_thread(self.programme_of, UUID(payload["programme_id"]))
        if found is None or found.municipality != municipality:
            raise UnknownProgramme(
                f"programme {payload['programme_id']} is not one of {municipality}'s",
                field="programme_id",
            )
        if found.closed:
            raise UnknownProgramme("the programme was closed", field="programme_id")
        code = payload["neighbourhood"]["code"].upper()
        if code not in found.neighbourhoods:
            raise NeighbourhoodNotInProgramme(
                f"{code} is not one of the programme's neighbourhoods", field="neighbourhood.code"
            )

    async def _check_owner(self, municipality: str, decision: Decision) -> None:
        """The manager named responsible is a person of this municipality, not erased."""
        if decision.type is not DecisionType.ASSIGN_OWNER:
            return
        person_id = decision.payload["person_id"]
        found = await asyncio.to_thread(self.sealing.people.find, person_id)
        if found is None or found.municipality != municipality:
            raise InvalidInput(f"person {person_id} does not exist", field="person_id")
        if found.erased_at is not None:
            raise PersonErased(f"person {person_id} was erased and cannot be named again")

    async def _check_publication(self, experiment_id: UUID, decision: Decision) -> None:
        """A published lesson is one of this experiment's, not personal, and rests on this
        experiment's findings (decisions once recorded never change, so checking before the
        workflow takes it holds)."""
        if decision.type is not DecisionType.PUBLISH_LESSON:
            return
        named = [decision.payload["lesson"], *decision.payload["supporting"]]
        found = await asyncio.to_thread(self.experiments.recorded_decisions, experiment_id, named)
        commons.check_publication(
            decision.payload,
            {one: (d.type.value, d.actor.to_dict(), d.payload) for one, d in found.items()},
        )

    async def _check_evidence(self, experiment_id: UUID, decision: Decision) -> None:
        """Every file a decision names must be this experiment's."""
        named = decision.payload.get("evidence")
        if not named:
            return
        kept = await asyncio.to_thread(self.evidence_of, experiment_id)
        missing = [one for one in named if one not in kept]
        if missing:
            raise EvidenceNotOfExperiment(
                f"evidence {missing[0]} is not a file of experiment {experiment_id}"
            )

    async def _sealed_and_handed_over(
        self,
        experiment_id: UUID,
        decision: Decision,
        owner: str,
        known_keys: Mapping[str, bytes],
        claim: Claim | None,
    ) -> DecisionAnswer:
        sealed = await self._sealed(decision, owner, known_keys, claim=claim)
        try:
            return await self._hand_over(experiment_id, sealed)
        except DecisionIdReused:
            if not _holds_sealed(sealed):
                raise
            legacy = await self._sealed(decision, owner, known_keys, LEGACY, claim=claim)
            return await self._hand_over(experiment_id, legacy)

    def settle_from_record(self, claim: Claim) -> None:
        """Settle a claim by what the record holds: a refusal may answer a repeat whose first
        sending was accepted (and timed out), so the record decides, not the error."""
        experiment = self.experiments.find(claim.experiment_id)
        accepted = experiment is not None and claim.decision_id in experiment.decision_versions
        self.sealing.settle(claim, accepted=accepted)

    def settle_stale_claims(self, older_than: timedelta = STALE_CLAIM) -> int:
        """Settle the claims of decisions whose callers gave up or crashed before the answer;
        returns how many were settled."""
        stale = self.sealing.people.stale_claims(older_than)
        for claim in stale:
            self.settle_from_record(claim)
        return len(stale)

    async def _hand_over(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        try:
            return await self._call(self.workflows.decide(experiment_id, decision))
        except WorkflowNotRunning:
            return await self._without_workflow(experiment_id, decision)
        except RuleViolation:
            # A repeat whose first sending was recorded but never answered (the worker died
            # after the append, before its workflow heard of it) meets a state that has moved
            # on, and is refused; the record knows it was taken, and answers.
            stored = await asyncio.to_thread(
                self.experiments.recorded_answer, experiment_id, decision
            )
            if stored is None:
                raise
            log.info("refused_repeat_answered_from_record", decision_id=decision.decision_id)
            return stored

    async def _sealed(
        self,
        decision: Decision,
        municipality: str,
        known_keys: Mapping[str, bytes],
        scheme: Scheme = CURRENT,
        *,
        claim: Claim | None = None,
    ) -> Decision:
        """The decision sealed; on this thread when that needs no lookup in the database."""
        if self.sealing.seals_offline(decision, known_keys):
            return self.sealing.seal_decision(decision, municipality, known_keys, scheme)
        return await asyncio.to_thread(
            functools.partial(
                self.sealing.seal_decision, decision, municipality, known_keys, scheme, claim=claim
            )
        )

    async def owner(self, experiment_id: UUID) -> str | None:
        """The municipality an experiment belongs to (it never changes, so it is cached)."""
        if experiment_id in self._owners:
            return self._owners[experiment_id]
        found = await asyncio.to_thread(self.experiments.find, experiment_id)
        if found is None:
            return None
        if len(self._owners) > 100_000:
            self._owners.clear()
        self._owners[experiment_id] = found.state.municipality
        return found.state.municipality

    async def _without_workflow(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        """A closed experiment answers repeats and refuses the rest; an active one whose
        workflow went missing gets it back from the record, then takes the decision."""
        stored = await asyncio.to_thread(
            self.experiments.answer_without_deciding, experiment_id, decision
        )
        if stored is not None:
            check_repeat(stored.fingerprint, decision)
            return stored
        found = await asyncio.to_thread(self.experiments.find, experiment_id)
        if found is None:
            raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
        await self.workflows.restart_from_record(found)
        log.warning("workflow_restarted_on_demand", experiment_id=str(experiment_id))
        return await self._call(self.workflows.decide(experiment_id, decision))

    async def _call(self, operation: Awaitable[DecisionAnswer]) -> DecisionAnswer:
        try:
            return await asyncio.wait_for(operation, self.answer_timeout)
        except TimeoutError:
            raise DecisionPending(
                "the decision was handed over but not answered in time; send it again with "
                "the same Idempotency-Key to get its answer"
            ) from None


def _holds_sealed(decision: Decision) -> bool:
    return bool(sealed_paths(decision.actor.to_dict(), decision.payload))
