"""Start the workflow again, from the stored state, for every active experiment and
programme without one.

Temporal's histories are not the record (a namespace can be reset, retention deletes closed
runs); the event store is. After such a loss this puts every active experiment and programme
back under its workflow, timers included (a programme's yearly report among them). A no-op
when all are there.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from uuid import UUID

import structlog
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.programme import ProgrammeState
from services.infra.event_store import Experiments
from services.infra.programme_store import Programmes
from workflows.client import ExperimentWorkflows
from workflows.payloads import workflow_id
from workflows.programme_client import ProgrammeWorkflows
from workflows.programme_payloads import programme_workflow_id

log = structlog.get_logger(__name__)


@dataclass
class ReconcileReport:
    active: int = 0
    running: int = 0
    restarted: int = 0
    closed: int = 0


async def _is_running(client: Client, workflow: str) -> bool:
    try:
        described = await client.get_workflow_handle(workflow).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return described.status is WorkflowExecutionStatus.RUNNING


async def _bring_back(
    client: Client,
    records: Iterable[tuple[str, bool, Callable[[], Awaitable[None]]]],
) -> ReconcileReport:
    """For each (workflow id, closed, restart) of the record: count it, and restart the
    workflow of an active one that is not running."""
    report = ReconcileReport()
    for workflow, closed, restart in records:
        if closed:
            report.closed += 1
            continue
        report.active += 1
        if await _is_running(client, workflow):
            report.running += 1
            continue
        await restart()
        report.restarted += 1
        log.info("workflow_restarted", workflow_id=workflow)
    return report


async def reconcile(workflows: ExperimentWorkflows, experiments: Experiments) -> ReconcileReport:
    def records() -> Iterator[tuple[str, bool, Callable[[], Awaitable[None]]]]:
        for experiment_id in experiments.experiment_ids():
            found = experiments.find(experiment_id)
            if found is not None:
                yield (
                    workflow_id(str(experiment_id)),
                    found.state.is_closed,
                    functools.partial(workflows.restart_from_record, found),
                )

    return await _bring_back(workflows.client, records())


async def reconcile_programmes(
    workflows: ProgrammeWorkflows, programmes: Programmes
) -> ReconcileReport:
    """The same for programmes: each active one back under its workflow."""

    def records() -> Iterator[tuple[str, bool, Callable[[], Awaitable[None]]]]:
        for programme_id in programmes.programme_ids():
            state = programmes.state_of(programme_id)
            if state is None:
                continue

            async def restart(pid: UUID = programme_id, begun: ProgrammeState = state) -> None:
                # Its recent decision ids are read only if it is restarted.
                await workflows.restart(pid, begun, programmes.recent_ids_of(pid))

            yield programme_workflow_id(str(programme_id)), state.closed, restart

    return await _bring_back(workflows.client, records())
