"""`/admin/identity-providers`: the municipality's own OpenID providers, through which its
staff sign in. The client secret goes in once and is never shown again; the page shows the
redirect URI to register at the provider, and which claim value gives which role."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission
from domain.errors import DomainError
from domain.identity import STAFF_ROLES
from services.app.administration import register_provider, remove_provider
from services.ui.csrf import Form
from services.ui.forms import error_params
from services.ui.rendering import PageError, redirect, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)
PAGE = "/admin/identity-providers"


@router.get(PAGE, response_class=HTMLResponse)
async def providers_page(request: Request) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    providers = await run_in_threadpool(services.identity_providers.list, principal.municipality)
    for provider in providers:
        provider["redirect_uri"] = services.staff_sign_in.redirect_uri(provider["name"])
    return render(
        request,
        "admin_identity_providers.html",
        {
            "providers": providers,
            "roles": [r.value for r in STAFF_ROLES],
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
            "done": request.query_params.get("done"),
        },
        principal=principal,
    )


@router.post(PAGE)
async def add(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    if principal.municipality is None:
        raise PageError(403, "forbidden")
    services = services_of(request)
    try:
        await run_in_threadpool(
            functools.partial(
                register_provider,
                services.identity_providers,
                name=str(form.get("name") or "").strip(),
                municipality=principal.municipality,
                issuer=str(form.get("issuer") or ""),
                client_id=str(form.get("client_id") or ""),
                client_secret=str(form.get("client_secret") or ""),
                role_claim=str(form.get("role_claim") or ""),
                role_map={r.value: str(form.get(f"map_{r.value}") or "") for r in STAFF_ROLES},
            )
        )
    except DomainError as error:
        return redirect(f"{PAGE}?" + urlencode(error_params(error)))
    return redirect(f"{PAGE}?done=added")


@router.post(PAGE + "/{name}/remove")
async def remove(request: Request, name: str, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    if not await run_in_threadpool(
        functools.partial(
            remove_provider,
            services.identity_providers,
            services.sessions,
            name,
            scope=principal.municipality,
        )
    ):
        raise PageError(404, "not_found")
    return redirect(f"{PAGE}?done=removed")
