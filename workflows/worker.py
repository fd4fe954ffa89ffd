"""The worker: runs experiment workflows and their activities on one task queue.

Several workers may share the queue; Temporal hands each task to one of them. Activities are
synchronous (eventsourcing is) and run in a thread pool.

Workflows run in Temporal's sandbox wherever they are tested (every test builds its worker
here with the default), so that code which would make a workflow non-deterministic — a clock,
randomness, I/O, a module-level value that changes — fails the tests. A production worker may
run them outside it: the sandbox re-enters its restricted module table for every activation
and for every payload's serialization context, which cost 2.6 ms of the worker's CPU per
decision (of 13.8), while its guard is a test-time guard: the code that reaches production
has passed the suite and the replay of every stored history inside the sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import structlog
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.service import RPCError
from temporalio.worker import (
    UnsandboxedWorkflowRunner,
    Worker,
    WorkflowRunner,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from services.infra import temporal_tracing
from services.infra.event_store import Experiments
from services.infra.programme_store import Programmes
from workflows import search_attributes
from workflows.activities import ExperimentActivities
from workflows.delivery import DeliveryWorkflow
from workflows.delivery_activities import DeliveryActivities
from workflows.experiment import ExperimentWorkflow
from workflows.programme import ProgrammeWorkflow
from workflows.programme_activities import ProgrammeActivities
from workflows.reminder import ReminderWorkflow
from workflows.reminder_activities import ReminderActivities

log = structlog.get_logger(__name__)


async def ensure_search_attributes(client: Client) -> None:
    """Register wijklab's search attributes in the namespace if they are missing."""
    wanted = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in search_attributes.ALL
    }
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        present = set(listed.custom_attributes) | set(listed.system_attributes)
    except RPCError:
        present = set()  # a server that cannot list (the time-skipping test server) can add
    missing = {name: kind for name, kind in wanted.items() if name not in present}
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
        log.info("search_attributes_registered", names=sorted(missing))
    except RPCError as error:
        log.warning("search_attributes_not_registered", error=str(error))


def build_worker(
    client: Client,
    experiments: Experiments,
    *,
    task_queue: str,
    executor: ThreadPoolExecutor,
    threads: int,
    cached_workflows: int = 500,
    sandboxed: bool = True,
    activities: ExperimentActivities | None = None,
    deliveries: DeliveryActivities | None = None,
    reminders: ReminderActivities | None = None,
) -> Worker:
    """A worker for the experiments' and the programmes' workflows and, given `deliveries`
    and `reminders`, the outbound deliveries' and the reminders' too; `sandboxed` as in
    `workflow_runner`."""
    acts = activities or ExperimentActivities(experiments)
    programmes = ProgrammeActivities(Programmes(experiments))
    workflows: list[type] = [ExperimentWorkflow, ProgrammeWorkflow]
    functions: list[Callable[..., Any]] = [
        acts.record_decision,
        acts.load_experiment,
        programmes.record_programme_decision,
    ]
    if deliveries is not None:
        workflows.append(DeliveryWorkflow)
        functions.append(deliveries.deliver_once)
    if reminders is not None:
        workflows.append(ReminderWorkflow)
        functions.extend([reminders.send_reminder, reminders.send_digest])
    # A client that traces brings its interceptor to the worker; one that does not (a test's)
    # gets it here while tracing is on.
    traced = any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"])
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=functions,
        interceptors=[] if traced else temporal_tracing.interceptors(),
        activity_executor=executor,
        max_concurrent_activities=threads,
        max_cached_workflows=cached_workflows,
        workflow_runner=workflow_runner(sandboxed),
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


def workflow_runner(sandboxed: bool) -> WorkflowRunner:
    """Temporal's sandbox for the workflows (the tests' and the replays'), or none (a
    production worker's unless `WIJKLAB_WORKFLOW_SANDBOX` is set)."""
    return SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner()


async def run_until_stopped(worker: Worker, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then let running activities finish (graceful shutdown)."""
    async with worker:
        log.info("worker_started", task_queue=worker.task_queue)
        await stop.wait()
        log.info("worker_stopping")
