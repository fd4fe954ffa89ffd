"""The lessons library, the commons of every municipality's shared lessons, and the
neighbourhoods with the three agendas side by side."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.commons import EvidenceLevel
from domain.values import Stage, Theme
from services.ui.labels import AGENDAS
from services.ui.rendering import language, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)


@router.get("/lessons", response_class=HTMLResponse)
async def lessons_page(
    request: Request, q: str | None = None, theme: str | None = None, cursor: str | None = None
) -> Response:
    principal = await require(request)
    services = services_of(request)
    page = await run_in_threadpool(
        lambda: services.read_models.lessons(
            principal.municipality,
            q=q or None,
            theme=theme or None,
            cursor=cursor or None,
            limit=25,
            language=language(request),
        )
    )
    next_url = None
    if page.next_cursor:
        next_url = "/lessons?" + urlencode(
            {"q": q or "", "theme": theme or "", "cursor": page.next_cursor}
        )
    return render(
        request,
        "lessons.html",
        {
            "page": page,
            "q": q or "",
            "theme": theme or "",
            "themes": list(Theme),
            "next_url": next_url,
        },
        principal=principal,
    )


@router.get("/commons", response_class=HTMLResponse)
async def commons_page(
    request: Request,
    q: str | None = None,
    theme: str | None = None,
    level: str | None = None,
    cursor: str | None = None,
) -> Response:
    """Lessons every municipality shared, with how well each is founded and what it rests on."""
    principal = await require(request)
    services = services_of(request)
    page = await run_in_threadpool(
        lambda: services.read_models.commons(
            q=q or None, theme=theme or None, level=level or None, cursor=cursor or None, limit=25
        )
    )
    next_url = None
    if page.next_cursor:
        next_url = "/commons?" + urlencode(
            {"q": q or "", "theme": theme or "", "level": level or "", "cursor": page.next_cursor}
        )
    return render(
        request,
        "commons.html",
        {
            "page": page,
            "q": q or "",
            "theme": theme or "",
            "level": level or "",
            "themes": list(Theme),
            "levels": [one.value for one in EvidenceLevel],
            "next_url": next_url,
        },
        principal=principal,
    )


@router.get("/neighbourhoods", response_class=HTMLResponse)
async def neighbourhoods_page(request: Request) -> Response:
    principal = await require(request)
    services = services_of(request)

    def load() -> dict[str, Any]:
        return {
            "neighbourhoods": services.read_models.neighbourhoods(principal.municipality),
            "themes_stats": {
                t["theme"]: t for t in services.read_models.themes(principal.municipality)
            },
        }

    data = await run_in_threadpool(load)
    return render(
        request,
        "neighbourhoods.html",
        {**data, "agendas": AGENDAS, "stages": list(Stage)},
        principal=principal,
    )
