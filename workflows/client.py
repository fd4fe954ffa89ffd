"""What callers (the API, the CLI, tests) use to start experiments and take decisions.

Starting is update-with-start: the workflow is created if it does not exist and the `start`
decision is its first update, with the decision id as the update id, so a retried request
neither starts a second workflow nor records a second start.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from uuid import UUID

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.answers import check_repeat
from domain.decisions import Decision
from domain.experiment import Experiment
from services.app.errors import DecisionPending, ExperimentBusy, WorkflowNotRunning
from services.infra.temporal import TemporalUnavailable
from workflows.errors import from_failure
from workflows.experiment import ExperimentWorkflow
from workflows.payloads import (
    RECENT_DECISION_IDS,
    DecisionAnswer,
    DecisionInput,
    ExperimentInput,
    workflow_id,
)

PENDING = (
    "the decision was handed over but not answered in time; send it again with the same "
    "Idempotency-Key to get its answer"
)


class ExperimentWorkflows:
    """The experiments' workflows as the use cases see them (`services.app.ports`)."""

    def __init__(self, client: Client, *, task_queue: str, overdue_grace_days: int) -> None:
        self.client = client
        self.task_queue = task_queue
        self.overdue_grace_days = overdue_grace_days

    async def start(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        operation = WithStartWorkflowOperation(
            ExperimentWorkflow.run,
            ExperimentInput(str(experiment_id), overdue_grace_days=self.overdue_grace_days),
            id=workflow_id(str(experiment_id)),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        with _translated(experiment_id):
            result: DecisionAnswer = await self.client.execute_update_with_start_workflow(
                ExperimentWorkflow.decide,
                DecisionInput(decision.to_dict()),
                start_workflow_operation=operation,
                id=decision.decision_id,
            )
        check_repeat(result.fingerprint, decision)
        return result

    async def decide(self, experiment_id: UUID, decision: Decision) -> DecisionAnswer:
        handle = self.client.get_workflow_handle_for(
            ExperimentWorkflow.run, workflow_id(str(experiment_id))
        )
        with _translated(experiment_id):
            result: DecisionAnswer = await handle.execute_update(
                ExperimentWorkflow.decide,
                DecisionInput(decision.to_dict()),
                id=decision.decision_id,
            )
        check_repeat(result.fingerprint, decision)
        return result

    async def restart_from_record(self, experiment: Experiment) -> None:
        """Start the workflow of an active experiment again from its stored state, or leave
        the running one be; the one way every caller (reconcile, a decision that found its
        workflow gone) brings a workflow back."""
        await self.client.start_workflow(
            ExperimentWorkflow.run,
            ExperimentInput(
                experiment_id=str(experiment.id),
                state=experiment.state.to_dict(),
                recent_decision_ids=experiment.recent_decision_ids(RECENT_DECISION_IDS),
                overdue_grace_days=self.overdue_grace_days,
            ),
            id=workflow_id(str(experiment.id)),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )


@contextlib.contextmanager
def _translated(experiment_id: UUID, kind: str = "experiment") -> Iterator[None]:
    """Temporal's answers in the use cases' terms: a refusal as the domain error it carries,
    a missing workflow, a late answer, a server away."""
    try:
        yield
    except WorkflowUpdateFailedError as failed:
        raise from_failure(failed) or failed from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise DecisionPending(PENDING) from None
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            raise WorkflowNotRunning(
                f"the workflow of {kind} {experiment_id} is not running"
            ) from None
        if error.status is RPCStatusCode.RESOURCE_EXHAUSTED:
            # The workflow service's limit of updates in flight on one workflow (ten): a
            # crowd deciding on one experiment at once, say fifty residents voting.
            raise ExperimentBusy(
                f"too many decisions on {kind} {experiment_id} at this moment; "
                "send it again in a second with the same Idempotency-Key"
            ) from None
        if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise TemporalUnavailable(f"Temporal is unavailable: {error.message}") from None
        raise
