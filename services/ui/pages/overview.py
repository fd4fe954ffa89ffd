"""The overview of experiments, with filters and counts per stage, and the start form."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission
from domain.errors import DomainError, InvalidInput
from domain.values import NeighbourhoodKind, Stage, Theme
from projections.queries import ProjectionLagging
from services.api.deps import actor_of
from services.ui.csrf import Form
from services.ui.forms import error_params
from services.ui.rendering import PageError, redirect, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)


@router.get("/experiments", response_class=HTMLResponse)
async def overview(
    request: Request,
    neighbourhood: str | None = None,
    theme: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    p: int | None = None,
) -> Response:
    principal = await require(request)
    services = services_of(request)
    filters = {
        "neighbourhood": neighbourhood or None,
        "theme": theme or None,
        "stage": stage or None,
        "status": status or None,
    }

    def load() -> dict[str, Any]:
        with contextlib.suppress(ProjectionLagging, InvalidInput):
            services.read_models.wait_for(p, timeout=2)
        page = services.read_models.experiments(
            principal.municipality, cursor=cursor or None, limit=25, **filters
        )
        return {
            "page": page,
            "counts": services.read_models.stage_counts(principal.municipality),
            "neighbourhoods": services.read_models.neighbourhoods(principal.municipality),
        }

    data = await run_in_threadpool(load)
    next_url = None
    if data["page"].next_cursor:
        next_url = "/experiments?" + urlencode(
            {**{k: v for k, v in filters.items() if v}, "cursor": data["page"].next_cursor}
        )
    return render(
        request,
        "overview.html",
        {
            **data,
            "filters": filters,
            "next_url": next_url,
            "themes": list(Theme),
            "stages": list(Stage),
            "kinds": list(NeighbourhoodKind),
            "may_start": principal.may(Permission.START_EXPERIMENT)
            and principal.municipality is not None,
            "nonce": uuid.uuid4().hex,
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
        },
        principal=principal,
    )


@router.post("/experiments")
async def start_experiment(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.START_EXPERIMENT)
    if principal.municipality is None:
        raise PageError(403, "forbidden")
    act_days = str(form.get("act_days") or "").strip()
    body = {
        "neighbourhood": {
            "code": form.get("neighbourhood_code"),
            "name": form.get("neighbourhood_name"),
            "kind": form.get("neighbourhood_kind"),
        },
        "title": form.get("title"),
        "question": form.get("question"),
        "residents_agenda": form.get("residents_agenda"),
        "themes": form.get("themes") or [],
        "act_days": int(act_days) if act_days.isdigit() else (act_days or None),
    }
    try:
        answer = await services_of(request).decisions.start(
            actor_of(principal),
            principal.municipality,
            body,
            str(form.get("nonce") or uuid.uuid4()),
            principal.known_keys,
        )
    except DomainError as error:
        return redirect("/experiments?" + urlencode(error_params(error)))
    return redirect(f"/experiments/{answer.experiment['id']}?p={answer.position}")
