"""`/admin/keys`: the municipality's API keys — for scripts and linked systems; people sign
in otherwise. A new key's token is shown once, on the answer to the form, and never again;
revoking a key ends the page sessions opened with it."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import KEY_ROLES, Permission
from domain.errors import DomainError
from services.app.administration import make_key, revoke_key
from services.ui.csrf import Form
from services.ui.forms import error_params
from services.ui.rendering import PageError, redirect, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)


def _municipality(municipality: str | None) -> str:
    if municipality is None:  # an admin always has one; a reader across all has no keys
        raise PageError(403, "forbidden")
    return municipality


@router.get("/admin/keys", response_class=HTMLResponse)
async def keys_page(request: Request) -> Response:
    """The keys (never their tokens); the names of the people they belong to are shown,
    so looking is recorded, as for the people page."""
    principal = await require(request, Permission.MANAGE_KEYS)
    municipality = _municipality(principal.municipality)
    services = services_of(request)

    def load() -> list[dict[str, Any]]:
        services.access.record(
            principal, "people", municipality=municipality, detail={"via": "keys page"}
        )
        return services.keys.list(municipality)

    return render(
        request,
        "admin_keys.html",
        {
            "keys": await run_in_threadpool(load),
            "roles": [r.value for r in KEY_ROLES],
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
            "done": request.query_params.get("done"),
        },
        principal=principal,
    )


@router.post("/admin/keys", response_class=HTMLResponse)
async def create_key(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    municipality = _municipality(principal.municipality)
    services = services_of(request)
    name = str(form.get("name") or "")
    try:
        token = await run_in_threadpool(
            make_key,
            services.keys,
            str(form.get("role") or ""),
            municipality,
            name,
            str(form.get("contact") or ""),
        )
    except DomainError as error:
        return redirect("/admin/keys?" + urlencode(error_params(error)))
    return render(
        request,
        "admin_secret.html",
        {"kind": "key", "secret": token, "name": name.strip(), "back": "/admin/keys"},
        principal=principal,
    )


@router.post("/admin/keys/{key_id}/revoke")
async def revoke(request: Request, key_id: UUID, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    done = await run_in_threadpool(
        functools.partial(
            revoke_key, services.keys, services.sessions, key_id, scope=principal.municipality
        )
    )
    if not done:
        raise PageError(404, "not_found")
    return redirect("/admin/keys?done=revoked")
