"""The programme workflow's one way to touch the event store: record a decision, once by its
id (a retry after a lost answer gets the stored answer)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog
from structlog.contextvars import bound_contextvars
from temporalio import activity

from domain.errors import DomainError
from domain.programme import ProgrammeAnswer, ProgrammeDecision, ProgrammeDecisionType
from services.infra.programme_store import Programmes
from workflows.errors import to_application_error
from workflows.programme_payloads import ProgrammeRecordInput

log = structlog.get_logger(__name__)


class ProgrammeActivities:
    def __init__(self, programmes: Programmes) -> None:
        self.programmes = programmes

    @activity.defn(name="record_programme_decision")
    def record_programme_decision(self, request: ProgrammeRecordInput) -> ProgrammeAnswer:
        decision = ProgrammeDecision.from_dict(request.decision)
        programme_id = UUID(request.programme_id)
        at = datetime.fromisoformat(request.at)
        info = activity.info()
        with bound_contextvars(
            programme_id=request.programme_id,
            decision_id=decision.decision_id,
            workflow_id=info.workflow_id,
        ):
            try:
                if decision.type is ProgrammeDecisionType.CREATE:
                    return self.programmes.create(decision, programme_id=programme_id, at=at)
                return self.programmes.decide(programme_id, decision, at=at)
            except DomainError as error:
                log.info("programme_decision_refused_by_store", code=error.code)
                raise to_application_error(error) from error
