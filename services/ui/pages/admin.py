"""Admin pages. `/admin/people`: the municipality's people, to end someone's access or erase
them (the same use cases as the API). `/admin/invitations`: invite people from the pages (admins anyone of their municipality,
programme managers residents and partners), see the invitations, revoke an open one — and,
right after inviting, the letter to print: the code in large type, with the postal address
typed for the envelope (printed, never stored)."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission
from domain.errors import DomainError
from domain.invitations import MAY_INVITE
from services.app.erasure import erase_person, revoke_access
from services.bootstrap import ways_in
from services.ui.csrf import Form
from services.ui.forms import error_params
from services.ui.rendering import PageError, redirect, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)

MAX_POSTAL_ADDRESS = 400


@router.get("/admin/invitations", response_class=HTMLResponse)
async def invitations_page(request: Request) -> Response:
    principal = await require(request, Permission.INVITE)
    services = services_of(request)

    def rows() -> list[dict[str, Any]]:
        found = services.invitations.list(principal.municipality)
        names = {}
        for invitation in found:
            person = services.people.find(invitation.person_id)
            names[invitation.person_id] = person.name if person else ""
        return [{"invitation": i, "name": names[i.person_id]} for i in found]

    return render(
        request,
        "admin_invitations.html",
        {
            "rows": await run_in_threadpool(rows),
            "roles": sorted(r.value for r in MAY_INVITE.get(principal.role, frozenset())),
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
        },
        principal=principal,
    )


@router.post("/admin/invitations", response_class=HTMLResponse)
async def invite(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.INVITE)
    services = services_of(request)
    body: dict[str, Any] = {
        "role": form.get("role"),
        "person": {"name": form.get("name") or "", "contact": form.get("contact") or ""},
        "language": "nl",
    }
    if form.get("organisation"):
        body["organisation"] = form.get("organisation")
    if form.get("experiment_id"):
        body["experiment_id"] = str(form.get("experiment_id")).strip()
    postal = str(form.get("postal_address") or "").strip()[:MAX_POSTAL_ADDRESS]
    try:
        made = await run_in_threadpool(services.inviting.invite, principal, body)
    except DomainError as error:
        return redirect("/admin/invitations?" + _query(error))
    return render(
        request,
        "invitation_letter.html",
        {
            "made": made,
            "postal_lines": [line for line in postal.splitlines() if line.strip()],
            "base_url": services.settings.base_url,
        },
        principal=principal,
    )


@router.post("/admin/invitations/{invitation_id}/revoke")
async def revoke(request: Request, invitation_id: UUID, form: Form) -> Response:
    principal = await require(request, Permission.INVITE)
    services = services_of(request)
    found = await run_in_threadpool(services.invitations.get, invitation_id, principal.municipality)
    if found is None:
        raise PageError(404, "not_found")
    await run_in_threadpool(services.invitations.revoke, invitation_id)
    return redirect("/admin/invitations")


def _query(error: DomainError) -> str:
    return urlencode(error_params(error))


@router.get("/admin/people", response_class=HTMLResponse)
async def people_page(request: Request) -> Response:
    """The people of the admin's municipality (names and contacts: the look is recorded)."""
    principal = await require(request, Permission.MANAGE_PEOPLE)
    municipality = principal.municipality
    if municipality is None:
        raise PageError(403, "forbidden")
    services = services_of(request)

    def load() -> list[Any]:
        services.access.record(
            principal, "people", municipality=municipality, detail={"via": "page"}
        )
        return services.people.list(municipality)

    return render(
        request,
        "admin_people.html",
        {"people": await run_in_threadpool(load), "done": request.query_params.get("done")},
        principal=principal,
    )


@router.post("/admin/people/{person_id}/revocation")
async def revoke_person(request: Request, person_id: str, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_PEOPLE)
    services = services_of(request)
    try:
        await run_in_threadpool(
            functools.partial(
                revoke_access,
                services.people,
                services.keys,
                person_id,
                access=ways_in(services),
                scope=principal.municipality,
            )
        )
    except DomainError:
        raise PageError(404, "not_found") from None
    return redirect("/admin/people?done=revoked")


@router.post("/admin/people/{person_id}/erasure")
async def erase(request: Request, person_id: str, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_PEOPLE)
    if form.get("confirm") != "yes":
        return redirect("/admin/people?done=not_confirmed")
    services = services_of(request)
    try:
        await run_in_threadpool(
            functools.partial(
                erase_person,
                services.people,
                services.keys,
                services.experiments,
                person_id,
                access=ways_in(services, erasing=True),
                erased_by={"id": principal.actor_id, "role": principal.role.value},
                scope=principal.municipality,
            )
        )
    except DomainError:
        raise PageError(404, "not_found") from None
    return redirect("/admin/people?done=erased")


@router.get("/admin/access-records", response_class=HTMLResponse)
async def access_records_page(request: Request, cursor: str | None = None) -> Response:
    """Who read which history, export, past state or people list, newest first."""
    principal = await require(request, Permission.MANAGE_PEOPLE)
    services = services_of(request)
    page = await run_in_threadpool(
        functools.partial(
            services.access.list, principal.municipality, cursor=cursor or None, limit=50
        )
    )
    next_url = (
        f"/admin/access-records?{urlencode({'cursor': page.next_cursor})}"
        if page.next_cursor
        else None
    )
    return render(
        request,
        "admin_access_records.html",
        {"records": page.items, "next_url": next_url},
        principal=principal,
    )
