"""Start the workflow again, from the stored state, for every active experiment and
programme without one.

Temporal's histories are not the record (a namespace can be reset, retention deletes closed
runs); the event store is. After such a loss this puts every active experiment and programme
back under its workflow, timers included (a programme's yearly report among them). A no-op
when all are there.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

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


async def reconcile(workflows: ExperimentWorkflows, experiments: Experiments) -> ReconcileReport:
    report = ReconcileReport()
    for experiment_id in experiments.experiment_ids():
        experiment = experiments.find(experiment_id)
        if experiment is None:  # pragma: no cover - listed ids exist
            continue
        if experiment.state.is_closed:
            report.closed += 1
            continue
        report.active += 1
        if await _is_running(workflows.client, workflow_id(str(experiment_id))):
            report.running += 1
            continue
        await workflows.restart_from_record(experiment)
        report.restarted += 1
        log.info("workflow_restarted", experiment_id=str(experiment_id))
    return report


async def reconcile_programmes(
    workflows: ProgrammeWorkflows, programmes: Programmes
) -> ReconcileReport:
    """The same for programmes: each active one back under its workflow."""
    report = ReconcileReport()
    for programme_id in programmes.programme_ids():
        state = programmes.state_of(programme_id)
        if state is None:  # pragma: no cover - listed ids exist
            continue
        if state.closed:
            report.closed += 1
            continue
        report.active += 1
        if await _is_running(workflows.client, programme_workflow_id(str(programme_id))):
            report.running += 1
            continue
        await workflows.restart(programme_id, state, programmes.recent_ids_of(programme_id))
        report.restarted += 1
        log.info("programme_workflow_restarted", programme_id=str(programme_id))
    return report
