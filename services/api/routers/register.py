"""One neighbourhood of the register: what CBS counts of it, by year."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from domain.errors import ExperimentNotFound
from services.api import answers
from services.api.deps import Reader, ServicesDep

router = APIRouter(prefix="/v1", tags=["neighbourhoods"], responses=answers.ERRORS)


@router.get(
    "/neighbourhoods/{code}",
    response_model=answers.RegisteredNeighbourhood,
    operation_id="neighbourhood",
)
def neighbourhood(
    code: Annotated[str, Path(max_length=20)], principal: Reader, services: ServicesDep
) -> dict[str, Any]:
    """A district or neighbourhood of the caller's municipality by its CBS code (GM…, WK…,
    BU…), with its key figures, latest year first: baselines to measure against."""
    found = services.register.find(code.strip().upper(), principal.municipality)
    if found is None:
        raise ExperimentNotFound(f"neighbourhood {code} is not in the register")
    return found.to_dict()
