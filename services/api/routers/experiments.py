"""Experiments: start, list, read, read as they stood, and their decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from domain.errors import ExperimentNotFound, InvalidInput
from services.api import answers, links
from services.api.deps import (
    Decider,
    IdempotencyKey,
    MinPosition,
    PastReader,
    Reader,
    ServicesDep,
    Starter,
    actor_of,
)
from services.api.errors import ApiError
from services.api.negotiation import prefers_csv
from services.api.schemas import DecisionIn, StartExperiment

router = APIRouter(prefix="/v1/experiments", tags=["experiments"], responses=answers.ERRORS)


def _answer(answer: Any, status: int) -> JSONResponse:
    return JSONResponse(
        {
            "decision_id": answer.decision_id,
            "experiment": answer.experiment,
            "position": answer.position,
        },
        status_code=status,
    )


@router.post("", status_code=201, operation_id="startExperiment", responses=links.START_LINKS)
async def start_experiment(
    body: StartExperiment,
    principal: Starter,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Start an experiment from a residents' question. With `Idempotency-Key`, repeating the
    request returns the first answer and starts nothing new."""
    if principal.municipality is None:
        raise ApiError(403, "forbidden", "a key for all municipalities cannot start experiments")
    answer = await services.decisions.start(
        actor_of(principal),
        principal.municipality,
        body.model_dump(),
        idempotency_key,
        principal.known_keys,
    )
    experiment = dict(answer.experiment)
    return JSONResponse(
        {**experiment, "decision_id": answer.decision_id, "position": answer.position},
        status_code=201,
        headers={"Location": f"/v1/experiments/{experiment['id']}"},
    )


@router.get("", response_model=answers.Page[answers.Experiment])
def list_experiments(
    principal: Reader,
    services: ServicesDep,
    neighbourhood: str | None = None,
    theme: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    services.read_models.wait_for(min_position)
    return services.read_models.experiments(
        principal.municipality,
        neighbourhood=neighbourhood,
        theme=theme,
        stage=stage,
        status=status,
        cursor=cursor,
        limit=limit,
    ).to_dict()


@router.get("/{experiment_id}", response_model=answers.Experiment, operation_id="getExperiment")
def get_experiment(
    experiment_id: UUID, principal: Reader, services: ServicesDep, min_position: MinPosition = None
) -> dict[str, Any]:
    services.read_models.wait_for(min_position)
    found = services.read_models.experiment(experiment_id, principal.municipality)
    if found is None:
        raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
    return found


@router.post(
    "/{experiment_id}/decisions",
    response_model=answers.DecisionAnswer,
    operation_id="takeDecision",
    responses=links.DECISION_LINKS,
)
async def take_decision(
    experiment_id: UUID,
    body: DecisionIn,
    principal: Decider,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Take a decision. With `Idempotency-Key` (it becomes the decision id), repeating the
    request returns the first answer and changes nothing."""
    answer = await services.decisions.decide(
        actor_of(principal),
        principal.municipality,
        experiment_id,
        body.model_dump(),
        decision_id=services.decisions.decision_id(idempotency_key),
        source="api",
        known_keys=principal.known_keys,
        organisation=principal.organisation,
    )
    return _answer(answer, 200)


@router.get(
    "/{experiment_id}/decisions",
    response_model=answers.Page[answers.HistoryEntry],
    operation_id="decisionHistory",
    responses={200: {"content": {"text/csv": {}}, "description": "the history (CSV by Accept)"}},
)
def decision_history(
    experiment_id: UUID,
    principal: Reader,
    services: ServicesDep,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    min_position: MinPosition = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """The decision history, oldest first; with `Accept: text/csv` the whole history as CSV."""
    services.read_models.wait_for(min_position)
    found = services.read_models.experiment(experiment_id, principal.municipality)
    if found is None:
        raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
    export = prefers_csv(accept)
    services.access.record(
        principal,
        "export" if export else "history",
        municipality=found["municipality"],
        experiment_id=experiment_id,
        detail={} if export else {"cursor": cursor, "limit": limit},
    )
    if export:
        return StreamingResponse(
            services.read_models.decisions_csv(experiment_id, principal.municipality),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="decisions-{experiment_id}.csv"'
            },
        )
    return services.read_models.decisions(
        experiment_id, principal.municipality, cursor=cursor, limit=limit
    ).to_dict()


@router.get(
    "/{experiment_id}/endorsements",
    response_model=answers.Page[answers.EndorsementRoundRecord],
    operation_id="endorsementRounds",
)
def endorsement_rounds(
    experiment_id: UUID,
    principal: Reader,
    services: ServicesDep,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Every endorsement round, oldest first: its count, how it closed, and each ballot —
    who (pseudonymous id and name as the history shows it), what, when, with its comment;
    a residents' meeting's with its numbers and evidence."""
    services.read_models.wait_for(min_position)
    found = services.read_models.experiment(experiment_id, principal.municipality)
    if found is None:
        raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
    services.access.record(
        principal,
        "history",
        municipality=found["municipality"],
        experiment_id=experiment_id,
        detail={"endorsements": True},
    )
    rounds = services.read_models.endorsement_rounds(experiment_id, principal.municipality)
    return {"items": rounds, "next_cursor": None}


@router.get("/{experiment_id}/state", response_model=answers.ExperimentAsOf, operation_id="stateAt")
async def state_at(
    experiment_id: UUID,
    principal: PastReader,
    services: ServicesDep,
    at: Annotated[str, Query(description="ISO 8601 moment, e.g. 2026-03-01T12:00:00Z")],
) -> dict[str, Any]:
    """The experiment as it stood at `at`, rebuilt from its events."""
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("at must be an ISO 8601 date or time", field="at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    owner = await services.decisions.owner(experiment_id)
    if owner is None or not principal.sees(owner):
        raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
    await run_in_threadpool(
        services.access.record,
        principal,
        "past_state",
        municipality=owner,
        experiment_id=experiment_id,
        detail={"at": moment.isoformat()},
    )
    state = await run_in_threadpool(services.experiments.experiment_at, experiment_id, moment)
    return {**state.to_dict(), "as_of": moment.isoformat()}
