"""Errors of the use cases that the domain does not know: a workflow away, an answer late."""

from __future__ import annotations

from domain.errors import DomainError


class DecisionPending(DomainError):
    """The decision was handed over but its answer did not come in time."""

    code = "decision_pending"


class WorkflowNotRunning(DomainError):
    """The experiment's workflow is not running (closed, or lost and not yet reconciled)."""

    code = "workflow_not_running"


class ExperimentBusy(DomainError):
    """Too many decisions are waiting on one experiment at this moment (its workflow takes
    them one at a time, and the workflow service holds only so many): send it again shortly."""

    code = "experiment_busy"
    retry_after = 1
