"""Lessons across experiments, and the neighbourhood and theme overviews."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.api import answers
from services.api.deps import Reader, ServicesDep

router = APIRouter(prefix="/v1", tags=["lessons"], responses=answers.ERRORS)


@router.get("/lessons", response_model=answers.Page[answers.Lesson])
def search_lessons(
    principal: Reader,
    services: ServicesDep,
    q: Annotated[str | None, Query(max_length=500)] = None,
    theme: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """Full-text search (Dutch and English) over the lessons of every cycle."""
    return services.read_models.lessons(
        principal.municipality, q=q, theme=theme, cursor=cursor, limit=limit
    ).to_dict()


@router.get("/neighbourhoods", response_model=answers.Page[answers.NeighbourhoodSummary])
def neighbourhoods(principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """Per neighbourhood: experiments by stage, closed ones, and budget per funding source."""
    return {
        "items": services.read_models.neighbourhoods(principal.municipality),
        "next_cursor": None,
    }


@router.get("/themes", response_model=answers.Page[answers.ThemeSummary])
def themes(principal: Reader, services: ServicesDep) -> dict[str, Any]:
    """Per theme: active experiments by stage, closed ones, and lessons learnt."""
    return {"items": services.read_models.themes(principal.municipality), "next_cursor": None}
