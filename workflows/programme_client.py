"""Creating programmes and taking their decisions through their workflows: the programmes'
side of the client, in the use cases' terms (refusals as domain errors)."""

from __future__ import annotations

from uuid import UUID

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.programme import ProgrammeAnswer, ProgrammeDecision, ProgrammeState, check_repeat
from workflows.client import _translated
from workflows.programme import ProgrammeWorkflow
from workflows.programme_payloads import (
    ProgrammeDecisionInput,
    ProgrammeInput,
    programme_workflow_id,
)


class ProgrammeWorkflows:
    def __init__(self, client: Client, *, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def create(self, programme_id: UUID, decision: ProgrammeDecision) -> ProgrammeAnswer:
        """Start the programme's workflow with its first decision (once: a repeat with the
        same key answers as the first time)."""
        operation = WithStartWorkflowOperation(
            ProgrammeWorkflow.run,
            ProgrammeInput(str(programme_id)),
            id=programme_workflow_id(str(programme_id)),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        with _translated(programme_id, "programme"):
            result: ProgrammeAnswer = await self.client.execute_update_with_start_workflow(
                ProgrammeWorkflow.decide,
                ProgrammeDecisionInput(decision.to_dict()),
                start_workflow_operation=operation,
                id=decision.decision_id,
            )
        check_repeat(result.fingerprint, decision)
        return result

    async def restart(
        self, programme_id: UUID, state: ProgrammeState, recent_decision_ids: list[str]
    ) -> None:
        """Start a programme's workflow again from the record (it went missing)."""
        with _translated(programme_id, "programme"):
            await self.client.start_workflow(
                ProgrammeWorkflow.run,
                ProgrammeInput(
                    str(programme_id), state.to_dict(), recent_decision_ids=recent_decision_ids
                ),
                id=programme_workflow_id(str(programme_id)),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )

    async def decide(self, programme_id: UUID, decision: ProgrammeDecision) -> ProgrammeAnswer:
        handle = self.client.get_workflow_handle_for(
            ProgrammeWorkflow.run, programme_workflow_id(str(programme_id))
        )
        with _translated(programme_id, "programme"):
            result: ProgrammeAnswer = await handle.execute_update(
                ProgrammeWorkflow.decide,
                ProgrammeDecisionInput(decision.to_dict()),
                id=decision.decision_id,
            )
        check_repeat(result.fingerprint, decision)
        return result
