"""The sandbox guards the workflows where they are tested.

A production worker may run its workflows outside Temporal's sandbox (`workflows.worker`);
the guard that remains is this suite, whose workers all run them inside it: a workflow that
reads the clock (or draws a random number, or does I/O) fails here.
"""

from __future__ import annotations

import inspect
import uuid

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError

from tests.workflows.clock_reading import ClockReadingWorkflow
from workflows.worker import build_worker, workflow_runner


async def _run(env: WorkflowEnvironment, sandboxed: bool) -> str:
    queue = f"sandbox-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[ClockReadingWorkflow],
        workflow_runner=workflow_runner(sandboxed),
        # A failed task would otherwise be retried for ever; here it fails the workflow.
        workflow_failure_exception_types=[Exception],
    ):
        return await env.client.execute_workflow(
            ClockReadingWorkflow.run, id=f"clock-{uuid.uuid4().hex}", task_queue=queue
        )


def test_every_worker_the_tests_build_runs_its_workflows_in_the_sandbox() -> None:
    assert inspect.signature(build_worker).parameters["sandboxed"].default is True


async def test_the_sandbox_refuses_a_workflow_that_reads_the_clock(
    time_skipping: WorkflowEnvironment,
) -> None:
    with pytest.raises(WorkflowFailureError) as failed:
        await _run(time_skipping, sandboxed=True)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == RestrictedWorkflowAccessError.__name__
    assert "datetime.datetime.now" in str(cause), str(cause)


async def test_outside_the_sandbox_the_same_workflow_would_run(
    time_skipping: WorkflowEnvironment,
) -> None:
    assert await _run(time_skipping, sandboxed=False)
