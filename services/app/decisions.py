"""Taking decisions on behalf of HTTP callers and webhooks: the one path every write takes.

It turns a request body into a checked domain decision, applies tenancy, seals what is
personal and hands the decision to the experiment's workflow. Routers stay thin; this is
where the write rules of the HTTP contract live.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Mapping
from typing import Any
from uuid import UUID

import structlog
from structlog.contextvars import bind_contextvars

from domain import rules
from domain.answers import DecisionAnswer, check_repeat
from domain.decisions import Decision, DecisionType, check_new_decision_id
from domain.errors import DecisionIdReused, ExperimentNotFound, InvalidInput
from domain.experiment import experiment_id_for
from domain.people import sealed_paths
from domain.values import Actor
from services.app.errors import DecisionPending, WorkflowNotRunning
from services.app.ports import DecisionRecord, ExperimentWorkflowsPort
from services.app.sealing import Sealing
from services.infra.crypto import CURRENT, Scheme
from services.metrics import DECISIONS

log = structlog.get_logger(__name__)

# A repeat of a decision first stored with `sealed:v1:` values seals differently now; sealed
# the old way it is recognised as the repeat it is (a reused id stays refused either way).
LEGACY: Scheme = "v1"

START_FIELDS = ("neighbourhood", "title", "question", "residents_agenda", "themes", "act_days")


class DecisionService:
    def __init__(
        self,
        experiments: DecisionRecord,
        workflows: ExperimentWorkflowsPort,
        sealing: Sealing,
        *,
        answer_timeout: float = 30.0,
    ) -> None:
        self.experiments = experiments
        self.workflows = workflows
        self.sealing = sealing
        self.answer_timeout = answer_timeout
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
        payload = {field: body.get(field) for field in START_FIELDS}
        payload["municipality"] = municipality
        decision = Decision.parse(
            decision_id=decision_id,
            type=DecisionType.START.value,
            actor=actor,
            rationale=body.get("rationale") or "",
            source="api",
            payload=payload,
        )
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
    ) -> DecisionAnswer:
        """Take a decision on an experiment the caller's municipality (`scope`) can see;
        `known_keys` are sealing keys the caller already holds (see `Principal`)."""
        bind_contextvars(experiment_id=str(experiment_id), decision_id=decision_id)
        owner = await self.owner(experiment_id)
        if owner is None or (scope is not None and owner != scope):
            raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
        fields = {k: v for k, v in body.items() if k not in ("type", "rationale")}
        kind = body.get("type")
        if kind == DecisionType.START.value:
            raise InvalidInput("start an experiment with POST /v1/experiments", field="type")
        decision = Decision.parse(
            decision_id=decision_id,
            type=kind,
            actor=actor,
            rationale=body.get("rationale"),
            source=source,
            payload=fields,
        )
        rules.check_role(decision)
        sealed = await self._sealed(decision, owner, known_keys or {})
        try:
            answer = await self._hand_over(experiment_id, sealed)
        except DecisionIdReused:
            if not _holds_sealed(sealed):
                raise
            legacy = await self._sealed(decision, owner, known_keys or {}, LEGACY)
            answer = await self._hand_over(experiment_id, legacy)
        DECISIONS.labels(type=decision.type.value, source=source.split(":")[0]).inc()
        return answer

    async def _hand_over(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        try:
            return await self._call(self.workflows.decide(experiment_id, decision))
        except WorkflowNotRunning:
            return await self._without_workflow(experiment_id, decision)

    async def _sealed(
        self,
        decision: Decision,
        municipality: str,
        known_keys: Mapping[str, bytes],
        scheme: Scheme = CURRENT,
    ) -> Decision:
        """The decision sealed; on this thread when that needs no lookup in the database."""
        if self.sealing.seals_offline(decision, known_keys):
            return self.sealing.seal_decision(decision, municipality, known_keys, scheme)
        return await asyncio.to_thread(
            self.sealing.seal_decision, decision, municipality, known_keys, scheme
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
