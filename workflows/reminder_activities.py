"""The reminder's steps, and handing new reminders to Temporal.

The activities are thin: `services.app.reminding.Reminding` decides what goes to whom.
`TemporalReminders` starts one workflow per reminder, named after it, from the outbox's
thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from structlog.contextvars import bound_contextvars
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from services.app.reminding import Reminding
from services.stores.reminders import ReminderLog
from workflows.handover import Handover
from workflows.reminder import (
    DigestInput,
    ReminderInput,
    ReminderPlan,
    ReminderWorkflow,
    reminder_workflow_id,
)


class ReminderActivities:
    def __init__(self, reminding: Reminding) -> None:
        self.reminding = reminding

    @activity.defn(name="send_reminder")
    def send_reminder(self, request: ReminderInput) -> ReminderPlan:
        with bound_contextvars(
            reminder_id=request.reminder_id, workflow_id=activity.info().workflow_id
        ):
            outcome = self.reminding.send(UUID(request.reminder_id))
        return ReminderPlan(
            status=outcome.status,
            person_id=outcome.person_id,
            digest_at=outcome.digest_at.isoformat() if outcome.digest_at else None,
        )

    @activity.defn(name="send_digest")
    def send_digest(self, request: DigestInput) -> str:
        with bound_contextvars(workflow_id=activity.info().workflow_id):
            return self.reminding.send_digest(request.person_id, request.claimant)


class TemporalReminders:
    """Called from the outbox's thread: starts the reminders' workflows on `loop`."""

    def __init__(
        self,
        client: Client,
        loop: asyncio.AbstractEventLoop,
        reminders: ReminderLog,
        task_queue: str,
    ) -> None:
        self.client = client
        self.loop = loop
        self.reminders = reminders
        self.task_queue = task_queue
        self.handover = Handover(loop, self.start, reminders.mark_dispatched, "reminder")

    def __call__(self, ids: Sequence[UUID]) -> None:
        """Hand the reminders over without waiting for their workflows to start."""
        self.handover(ids)

    async def start(self, reminder_id: str) -> WorkflowHandle[Any, str] | None:
        """Start the reminder's workflow; None if it was started before."""
        try:
            return await self.client.start_workflow(
                ReminderWorkflow.run,
                ReminderInput(reminder_id),
                id=reminder_workflow_id(reminder_id),
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return None
