"""Activities: the workflow's only way to touch the event store.

They are synchronous (eventsourcing is) and run in the worker's thread pool. Appending is
idempotent by decision id, so a retry after a commit whose answer was lost (the worker died,
the network dropped) returns the stored answer and writes nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog
from structlog.contextvars import bound_contextvars
from temporalio import activity

from domain.decisions import Decision, DecisionType
from domain.errors import DomainError, InvalidInput
from services import tracing
from services.infra.event_store import Experiments
from workflows.errors import to_application_error
from workflows.payloads import (
    RECENT_DECISION_IDS,
    DecisionAnswer,
    LoadInput,
    LoadOutput,
    RecordInput,
)

log = structlog.get_logger(__name__)


class ExperimentActivities:
    def __init__(self, experiments: Experiments) -> None:
        self.experiments = experiments

    @activity.defn(name="record_decision")
    def record_decision(self, request: RecordInput) -> DecisionAnswer:
        decision = Decision.from_dict(request.decision)
        experiment_id = UUID(request.experiment_id)
        at = datetime.fromisoformat(request.at)
        info = activity.info()
        with bound_contextvars(
            experiment_id=request.experiment_id,
            decision_id=decision.decision_id,
            workflow_id=info.workflow_id,
            attempt=info.attempt,
        ):
            try:
                with tracing.span(
                    "wijklab.append",
                    experiment_id=request.experiment_id,
                    decision_id=decision.decision_id,
                ):
                    # The event keeps where it was appended: the projector and the outbox
                    # continue the decision's trace from there.
                    trace = tracing.carrier()
                    if decision.type is DecisionType.START:
                        result = self.experiments.start(
                            decision, experiment_id=experiment_id, at=at, trace=trace
                        )
                    else:
                        result = self.experiments.decide(
                            experiment_id, decision, at=at, trace=trace
                        )
            except DomainError as error:
                log.info("decision_refused_by_store", code=error.code)
                raise to_application_error(error) from error
            except (UnicodeError, TypeError) as error:
                # A value that can never be encoded: retrying would block the experiment's
                # workflow for good, so the decision is refused instead.
                log.error("decision_not_storable", error=str(error))
                raise to_application_error(
                    InvalidInput(f"the decision cannot be stored: {error}", field="body")
                ) from error
        return result

    @activity.defn(name="load_experiment")
    def load_experiment(self, request: LoadInput) -> LoadOutput:
        """The stored state and recent decision ids, to rebuild a workflow from the record."""
        experiment_id = UUID(request.experiment_id)
        found = self.experiments.find(experiment_id)
        if found is None:
            return LoadOutput(state=None, decision_ids=[])
        return LoadOutput(
            state=found.state.to_dict(), decision_ids=found.recent_decision_ids(RECENT_DECISION_IDS)
        )
