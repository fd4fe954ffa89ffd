"""One outbound delivery as a workflow: attempts on the Standard Webhooks specification's
retry schedule (at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h — about a
day and a half in all), each a durable Temporal timer, so no process has to stay up for a
retry to happen and a crash repeats at most the attempt that was under way (a receiver
deduplicates by `webhook-id`, which never changes).

The workflow only orchestrates; the attempt itself (`deliver_once`) signs, sends and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

# Seconds to wait before each attempt.
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
WORKFLOW_ID_PREFIX = "delivery-"
# The attempt's own retries are for a worker that died mid-attempt, not for the receiver.
ATTEMPT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=3,
)
# 15 s for the receiver, the rest for the database; a worker that died mid-attempt is noticed
# after this long, and the attempt made again.
ATTEMPT_TIMEOUT = timedelta(seconds=25)

# What an attempt says: try again later, or how the delivery ended.
RETRY = "retry"
# The attempt runs as a local activity, in the worker that runs the workflow (whose first task
# it got straight from the start, see `TemporalDeliveries.start`): no round trip through the
# server's task queues, which under load were most of a delivery's lag. Histories from before
# ran it as a regular activity and replay that way.
LOCAL_ATTEMPT = "attempt-as-local-activity"


@dataclass
class DeliveryInput:
    delivery_id: str
    # How many attempts of the schedule to make: all of them, or 1 for a retry by hand.
    attempts: int = len(SCHEDULE)


@dataclass
class AttemptInput:
    delivery_id: str
    attempt: int
    # Seconds until the next attempt, or None when this is the last.
    next_in: int | None


def delivery_workflow_id(delivery_id: str, retry: int = 0) -> str:
    return f"{WORKFLOW_ID_PREFIX}{delivery_id}" + (f"-retry-{retry}" if retry else "")


# Outside the sandbox: one of these runs per event, and building a sandbox for each run cost
# the worker more than the workflow itself (a delivery's lag at half the e2e rate fell from
# seconds to tens of milliseconds without it). Its code uses nothing but the workflow API and
# the standard library, and the replay tests over stored histories guard its determinism.
@workflow.defn(name="DeliveryWorkflow", sandboxed=False)
class DeliveryWorkflow:
    @workflow.run
    async def run(self, request: DeliveryInput) -> str:
        plan = SCHEDULE[: max(1, min(request.attempts, len(SCHEDULE)))]
        outcome: str = RETRY
        for number, delay in enumerate(plan, start=1):
            if delay and number > 1:
                await workflow.sleep(timedelta(seconds=delay))
            next_in = plan[number] if number < len(plan) else None
            attempt = AttemptInput(request.delivery_id, number, next_in)
            if workflow.patched(LOCAL_ATTEMPT):
                outcome = await workflow.execute_local_activity(
                    "deliver_once",
                    attempt,
                    result_type=str,
                    start_to_close_timeout=ATTEMPT_TIMEOUT,
                    retry_policy=ATTEMPT_RETRY,
                )
            else:
                outcome = await workflow.execute_activity(
                    "deliver_once",
                    attempt,
                    result_type=str,
                    start_to_close_timeout=ATTEMPT_TIMEOUT,
                    retry_policy=ATTEMPT_RETRY,
                )
            if outcome != RETRY:
                return outcome
        return outcome
