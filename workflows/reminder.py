"""One reminder as a workflow: mail it now, or, for someone who chose a daily digest, wait on
a durable timer until the digest's hour and then send that person's digest.

Each reminder has its own workflow, named after it, so handing one over twice starts nothing
twice. Several reminders of one person wake at the same hour; the first to claim the held
reminders sends the digest and the others find nothing left (`Reminding.send_digest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

WORKFLOW_ID_PREFIX = "reminder-"
# A mail server that is away is tried again for about a day, then the reminder is let go:
# by then it is no news.
MAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(hours=2),
    maximum_attempts=16,
)
MAIL_TIMEOUT = timedelta(seconds=60)


@dataclass
class ReminderInput:
    reminder_id: str


@dataclass
class ReminderPlan:
    """What the first step did: `sent`, `skipped`, or `digest` with its moment (ISO)."""

    status: str
    person_id: str | None = None
    digest_at: str | None = None


@dataclass
class DigestInput:
    person_id: str
    claimant: str


def reminder_workflow_id(reminder_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{reminder_id}"


# Outside the sandbox, like the delivery's workflow and for its reason (`workflows.delivery`):
# many short runs, each of which would build a sandbox of its own. Its code uses nothing but
# the workflow API and the standard library; the replay tests guard its determinism.
@workflow.defn(name="ReminderWorkflow", sandboxed=False)
class ReminderWorkflow:
    @workflow.run
    async def run(self, request: ReminderInput) -> str:
        plan = await workflow.execute_activity(
            "send_reminder",
            request,
            result_type=ReminderPlan,
            start_to_close_timeout=MAIL_TIMEOUT,
            retry_policy=MAIL_RETRY,
        )
        if plan.status != "digest" or plan.digest_at is None or plan.person_id is None:
            return str(plan.status)
        wait = datetime.fromisoformat(plan.digest_at) - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        result: str = await workflow.execute_activity(
            "send_digest",
            DigestInput(plan.person_id, workflow.info().workflow_id),
            result_type=str,
            start_to_close_timeout=MAIL_TIMEOUT,
            retry_policy=MAIL_RETRY,
        )
        return result
