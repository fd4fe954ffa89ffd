"""What callers (the API, the CLI, tests) use to start experiments and take decisions.

Starting is update-with-start: the workflow is created if it does not exist and the `start`
decision is its first update, with the decision id as the update id, so a retried request
neither starts a second workflow nor records a second start.
"""

from __future__ import annotations

from uuid import UUID

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.decisions import Decision
from domain.errors import DecisionIdReused, DomainError
from workflows.errors import from_failure
from workflows.experiment import ExperimentWorkflow
from workflows.payloads import DecisionInput, DecisionOutput, ExperimentInput, workflow_id


class WorkflowNotRunning(DomainError):
    """The experiment's workflow is not running (closed, or lost and not yet reconciled)."""

    code = "workflow_not_running"


class ExperimentWorkflows:
    def __init__(self, client: Client, *, task_queue: str, overdue_grace_days: int) -> None:
        self.client = client
        self.task_queue = task_queue
        self.overdue_grace_days = overdue_grace_days

    async def start(self, experiment_id: UUID, decision: Decision) -> DecisionOutput:
        operation = WithStartWorkflowOperation(
            ExperimentWorkflow.run,
            ExperimentInput(str(experiment_id), overdue_grace_days=self.overdue_grace_days),
            id=workflow_id(str(experiment_id)),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        try:
            result: DecisionOutput = await self.client.execute_update_with_start_workflow(
                ExperimentWorkflow.decide,
                DecisionInput(decision.to_dict()),
                start_workflow_operation=operation,
                id=decision.decision_id,
            )
        except WorkflowUpdateFailedError as failed:
            raise from_failure(failed) or failed from None
        return _same_decision(result, decision)

    async def decide(self, experiment_id: UUID, decision: Decision) -> DecisionOutput:
        handle = self.client.get_workflow_handle_for(
            ExperimentWorkflow.run, workflow_id(str(experiment_id))
        )
        try:
            result: DecisionOutput = await handle.execute_update(
                ExperimentWorkflow.decide,
                DecisionInput(decision.to_dict()),
                id=decision.decision_id,
            )
        except WorkflowUpdateFailedError as failed:
            raise from_failure(failed) or failed from None
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise WorkflowNotRunning(
                    f"the workflow of experiment {experiment_id} is not running"
                ) from None
            raise
        return _same_decision(result, decision)


def _same_decision(answer: DecisionOutput, decision: Decision) -> DecisionOutput:
    """Temporal answers a repeated update id with the first result, whatever was sent: make
    sure the first decision was this one."""
    if answer.fingerprint and answer.fingerprint != decision.fingerprint():
        raise DecisionIdReused(
            f"decision id {decision.decision_id!r} was already used for a different decision"
        )
    return answer
