"""The lessons commons: published lessons of every municipality, for signed-in readers and,
without an account, as open data (JSON, CSV by `Accept`, Atom) under a stated licence."""

from __future__ import annotations

import itertools
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from domain.commons import LICENCE_NAME, LICENCE_URL
from domain.errors import ExperimentNotFound
from services.api import answers, open_data
from services.api.deps import MinPosition, Reader, ServicesDep, client_address
from services.api.negotiation import prefers_csv

router = APIRouter(tags=["commons"], responses=answers.ERRORS)

LICENCE = {"name": LICENCE_NAME, "url": LICENCE_URL}
LICENCE_HEADERS = {"Link": open_data.LICENCE_LINK}

Search = Annotated[str | None, Query(max_length=500, description="words, in Dutch or English")]
Level = Annotated[
    str | None, Query(max_length=40, description="described, substantiated or effective")
]
Limit = Annotated[int | None, Query(ge=1, le=200)]
Text = Annotated[str | None, Query(max_length=100)]


async def open_data_counted(request: Request, services: ServicesDep) -> None:
    """No account, so every request counts against the caller's address."""
    services.rate_limits.hit_open_data(client_address(request))


OpenData = Annotated[None, Depends(open_data_counted)]


@router.get(
    "/v1/commons/lessons",
    response_model=answers.Page[answers.PublishedLesson],
    operation_id="commonsLessons",
)
def commons_lessons(
    principal: Reader,
    services: ServicesDep,
    q: Search = None,
    theme: Text = None,
    level: Level = None,
    municipality: Text = None,
    cursor: str | None = None,
    limit: Limit = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Published lessons of every municipality, best match first when searched (Dutch and
    English), else the latest published first; each with its experiment's public summary
    and the findings it rests on."""
    services.read_models.wait_for(min_position)
    return services.read_models.commons(
        q=q, theme=theme, level=level, municipality=municipality, cursor=cursor, limit=limit
    ).to_dict()


@router.get("/open/lessons", response_model=answers.OpenLessons, operation_id="openLessons")
def open_lessons(
    _: OpenData,
    services: ServicesDep,
    q: Search = None,
    theme: Text = None,
    level: Level = None,
    municipality: Text = None,
    cursor: str | None = None,
    limit: Limit = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """The commons as open data, without sign-in: JSON pages, or with `Accept: text/csv`
    every published lesson the filters let through as one CSV table."""
    filters = {"q": q, "theme": theme, "level": level, "municipality": municipality}
    if prefers_csv(accept):
        lessons = services.read_models.all_published(**filters)
        first = next(lessons, None)  # a bad filter is refused before the answer starts

        def chunks() -> Any:
            rows = itertools.chain([first], lessons) if first is not None else iter(())
            yield from open_data.csv_chunks(rows, services.settings.base_url)

        return StreamingResponse(
            chunks(),
            media_type="text/csv; charset=utf-8",
            headers={
                **LICENCE_HEADERS,
                "Content-Disposition": 'attachment; filename="wijklab-lessen.csv"',
            },
        )
    page = services.read_models.commons(cursor=cursor, limit=limit, **filters).to_dict()
    return _json(page | {"licence": LICENCE})


@router.get("/open/lessons.atom", operation_id="openLessonsFeed")
async def open_lessons_feed(
    _: OpenData,
    request: Request,
    services: ServicesDep,
    theme: Text = None,
    level: Level = None,
    municipality: Text = None,
) -> Response:
    """The latest published lessons as an Atom feed."""
    page = await run_in_threadpool(
        services.read_models.commons,
        theme=theme,
        level=level,
        municipality=municipality,
        limit=open_data.FEED_ENTRIES,
    )
    base = services.settings.base_url
    query = f"?{request.url.query}" if request.url.query else ""
    body = open_data.atom_feed(page.items, base, f"{base}{request.url.path}{query}")
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=LICENCE_HEADERS)


@router.get(
    "/open/experiments/{experiment_id}",
    response_model=answers.PublicSummary,
    operation_id="publicSummary",
)
def public_summary(_: OpenData, experiment_id: UUID, services: ServicesDep) -> Any:
    """The public summary of an experiment with at least one published lesson: its title,
    neighbourhood, themes and cycle, and its published lessons with the non-personal text of
    the findings they rest on. Nothing else of an experiment is public."""
    found = services.read_models.public_summary(experiment_id)
    if found is None:
        raise ExperimentNotFound(f"experiment {experiment_id} has no published lesson")
    return _json(found | {"licence": LICENCE})


def _json(body: dict[str, Any]) -> Response:
    """A JSON answer with the licence in a `Link` header too."""
    return JSONResponse(body, headers=LICENCE_HEADERS)
