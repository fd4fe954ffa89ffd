"""Taking decisions on behalf of HTTP callers and webhooks: the one path every write takes.

It turns a request body into a checked domain decision, applies tenancy, and hands it to the
experiment's workflow as an update. Routers stay thin; this is where the write rules of the
HTTP contract live.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import structlog
from structlog.contextvars import bind_contextvars
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from domain import rules
from domain.decisions import Decision, DecisionType, check_decision_id
from domain.errors import (
    DecisionIdReused,
    DomainError,
    ExperimentNotFound,
    InvalidInput,
    RuleViolation,
)
from domain.experiment import experiment_id_for
from domain.values import Actor
from services.experiments import Experiments
from services.metrics import DECISIONS
from services.people import People
from services.temporal import TemporalUnavailable
from workflows.activities import RECENT_DECISION_IDS
from workflows.client import ExperimentWorkflows, WorkflowNotRunning
from workflows.experiment import ExperimentWorkflow
from workflows.payloads import DecisionOutput, ExperimentInput, workflow_id

log = structlog.get_logger(__name__)

START_FIELDS = ("neighbourhood", "title", "question", "residents_agenda", "themes", "act_days")


class DecisionPending(DomainError):
    """The decision was handed over but its answer did not come in time."""

    code = "decision_pending"


class DecisionService:
    def __init__(
        self,
        experiments: Experiments,
        workflows: ExperimentWorkflows,
        people: People,
        *,
        answer_timeout: float = 30.0,
    ) -> None:
        self.experiments = experiments
        self.workflows = workflows
        self.people = people
        self.answer_timeout = answer_timeout
        self._owners: dict[UUID, str] = {}

    @staticmethod
    def decision_id(idempotency_key: str | None) -> str:
        return (
            check_decision_id(idempotency_key) if idempotency_key is not None else str(uuid.uuid4())
        )

    async def start(
        self,
        actor: Actor,
        municipality: str,
        body: dict[str, Any],
        idempotency_key: str | None,
        known_keys: Mapping[str, bytes] | None = None,
    ) -> DecisionOutput:
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
        decision = await self._sealed(decision, municipality, known_keys or {})
        answer = await self._call(self.workflows.start(experiment_id, decision))
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
    ) -> DecisionOutput:
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
        if actor.role not in rules.ROLE_MATRIX[decision.type]:
            raise RuleViolation(
                "role_not_allowed",
                f"a {actor.role.value} may not take a {decision.type.value} decision",
                stage=None,
                allowed=[],
            )
        decision = await self._sealed(decision, owner, known_keys or {})
        try:
            answer = await self._call(self.workflows.decide(experiment_id, decision))
        except WorkflowNotRunning:
            answer = await self._without_workflow(experiment_id, decision)
        DECISIONS.labels(type=decision.type.value, source=source.split(":")[0]).inc()
        return answer

    async def _sealed(
        self, decision: Decision, municipality: str, known_keys: Mapping[str, bytes]
    ) -> Decision:
        """The decision sealed; on this thread when that needs no lookup in the database."""
        if self.people.seals_offline(decision, known_keys):
            return self.people.seal_decision(decision, municipality, known_keys)
        return await asyncio.to_thread(
            self.people.seal_decision, decision, municipality, known_keys
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

    async def _without_workflow(self, experiment_id: UUID, decision: Decision) -> DecisionOutput:
        """A closed experiment answers repeats and refuses the rest; an active one whose
        workflow went missing gets it back from the record, then takes the decision."""
        stored = await asyncio.to_thread(
            self.experiments.answer_without_deciding, experiment_id, decision
        )
        if stored is not None:
            if stored.fingerprint != decision.fingerprint():
                raise DecisionIdReused(
                    f"decision id {decision.decision_id!r} was already used for a different decision"
                )
            return DecisionOutput(
                stored.decision_id, stored.experiment, stored.position, True, stored.fingerprint
            )
        found = await asyncio.to_thread(self.experiments.find, experiment_id)
        assert found is not None
        ids = sorted(found.decision_versions, key=found.decision_versions.__getitem__)
        await self.workflows.client.start_workflow(
            ExperimentWorkflow.run,
            ExperimentInput(
                experiment_id=str(experiment_id),
                state=found.state.to_dict(),
                recent_decision_ids=ids[-RECENT_DECISION_IDS:],
                overdue_grace_days=self.workflows.overdue_grace_days,
            ),
            id=workflow_id(str(experiment_id)),
            task_queue=self.workflows.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        log.warning("workflow_restarted_on_demand", experiment_id=str(experiment_id))
        return await self._call(self.workflows.decide(experiment_id, decision))

    async def _call(self, operation: Any) -> DecisionOutput:
        try:
            answer: DecisionOutput = await asyncio.wait_for(operation, self.answer_timeout)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise DecisionPending(
                "the decision was handed over but not answered in time; send it again with "
                "the same Idempotency-Key to get its answer"
            ) from None
        except RPCError as error:
            if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                raise TemporalUnavailable(f"Temporal is unavailable: {error.message}") from None
            raise
        return answer
