"""Programmes: a municipality's long-running neighbourhood approach, its decisions, and what
its experiments add to it (stages, funding planned against allocated, indicators)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.programme import ProgrammeAnswer, ProgrammeDecision, ProgrammeNotFound
from services.api import answers
from services.api.deps import Decider, IdempotencyKey, Reader, ServicesDep, actor_of
from services.api.errors import ApiError

router = APIRouter(prefix="/v1/programmes", tags=["programmes"], responses=answers.ERRORS)


def _answer(answer: ProgrammeAnswer, status: int) -> JSONResponse:
    return JSONResponse(
        {
            "decision_id": answer.decision_id,
            "programme": answer.programme,
            "position": answer.position,
        },
        status_code=status,
        headers={"Location": f"/v1/programmes/{answer.programme['id']}"} if status == 201 else None,
    )


@router.post("", status_code=201, operation_id="createProgramme")
async def create_programme(
    body: dict[str, Any],
    principal: Decider,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create a programme `{name, description, neighbourhoods: [code…], period: {from_year,
    to_year}, funding: [{source, year, amount_eur}]}` (programme_manager). With
    `Idempotency-Key`, repeating the request returns the first answer."""
    if principal.municipality is None:
        raise ApiError(403, "forbidden", "a key for all municipalities cannot create programmes")
    answer = await services.programmes.create(
        actor_of(principal), principal.municipality, body, idempotency_key
    )
    return _answer(answer, 201)


@router.post("/{programme_id}/decisions", operation_id="programmeDecision")
async def programme_decision(
    programme_id: UUID,
    body: dict[str, Any],
    principal: Decider,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """`revise_programme {name?, description?}`, `allocate_funding {source, year,
    amount_eur}`, `add_neighbourhood {code}`, `close_programme {}` (programme_manager)."""
    decision_id = (
        ProgrammeDecision.new_id(idempotency_key)
        if idempotency_key is not None
        else str(uuid.uuid4())
    )
    answer = await services.programmes.decide(
        actor_of(principal), principal.municipality, programme_id, body, decision_id
    )
    return _answer(answer, 200)


@router.get("", response_model=answers.Page[answers.ProgrammeSummary], operation_id="programmes")
def list_programmes(principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """The municipality's programmes, latest period first."""
    return {"items": services.read_models.programmes(principal.municipality), "next_cursor": None}


@router.get("/{programme_id}", response_model=answers.Programme, operation_id="programme")
def programme(programme_id: UUID, principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """The programme with its experiments by stage, funding allocated against what its
    experiments planned per pot and year (every cycle's plan), and their indicators."""
    found = services.read_models.programme(programme_id, principal.municipality)
    if found is None:
        raise ProgrammeNotFound(f"programme {programme_id} does not exist")
    return found


@router.get(
    "/{programme_id}/decisions",
    response_model=answers.Page[answers.ProgrammeHistoryEntry],
    operation_id="programmeDecisions",
)
def programme_decisions(
    programme_id: UUID, principal: Reader, services: ServicesDep
) -> dict[str, Any]:
    """Every decision of the programme, oldest first."""
    if services.read_models.programme(programme_id, principal.municipality) is None:
        raise ProgrammeNotFound(f"programme {programme_id} does not exist")
    return {
        "items": services.read_models.programme_decisions(programme_id, principal.municipality),
        "next_cursor": None,
    }
