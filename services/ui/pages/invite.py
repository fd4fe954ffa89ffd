"""Accepting an invitation: `/invite` to type a code from a letter, `/invite/{code}` to see
who is invited for what, and a button that opens a session for that person.

Opening the link shows the invitation and changes nothing (mail scanners open links too);
only the button uses the code. A code that is unknown counts as a failed sign-in, so codes
cannot be guessed faster than keys.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Principal
from domain.invitations import normalised_code
from services.api.deps import client_address
from services.infra.rate_limits import Failing, TooManyRequests
from services.stores.invitations import Invitation, Standing
from services.ui.csrf import Form
from services.ui.rendering import redirect, render
from services.ui.session import begin_session, landing, services_of

router = APIRouter(include_in_schema=False)


@router.get("/invite", response_class=HTMLResponse)
async def type_code(request: Request) -> Response:
    return render(request, "invite_code.html", {"error": None})


@router.post("/invite")
async def typed_code(request: Request, form: Form) -> Response:
    code = normalised_code(str(form.get("code") or ""))
    if code is None:
        return render(request, "invite_code.html", {"error": "bad_code"}, status=422)
    return redirect(f"/invite/{code}")


@router.get("/invite/{code}", response_class=HTMLResponse)
async def invitation_page(request: Request, code: str) -> Response:
    found = await _find(request, code)
    if isinstance(found, Response):
        return found
    services = services_of(request)

    def details() -> dict[str, Any]:
        person = services.people.find(found.person_id)
        title = None
        if found.experiment_id is not None:
            experiment = services.experiments.find(found.experiment_id)
            title = experiment.state.title if experiment is not None else None
        return {"name": person.name if person else "", "experiment_title": title}

    shown = await run_in_threadpool(details)
    return render(request, "invite.html", {"invitation": found, "code": code, **shown})


@router.post("/invite/{code}")
async def accept(request: Request, code: str, form: Form) -> Response:
    services = services_of(request)
    accepted = await run_in_threadpool(services.invitations.accept, code)
    if accepted is None:
        found = await _find(request, code)
        return found if isinstance(found, Response) else _closed(request, found)
    principal = Principal(
        key_id=uuid.uuid4(),
        role=accepted.role,
        municipality=accepted.municipality,
        name="",
        person_id=accepted.person_id,
        organisation=accepted.organisation,
    )
    target = (
        f"/experiments/{accepted.experiment_id}" if accepted.experiment_id else landing(principal)
    )
    return await begin_session(request, principal, redirect(target))


async def _find(request: Request, code: str) -> Invitation | Response:
    """The invitation this code belongs to, or the page that says why there is none."""
    services = services_of(request)
    found = await run_in_threadpool(services.invitations.by_code, code)
    if found is None:
        try:
            services.rate_limits.failed(Failing.SIGN_IN, client_address(request))
        except TooManyRequests as refused:
            page = render(request, "invite_closed.html", {"why": "too_many_failures"}, status=429)
            page.headers["Retry-After"] = str(refused.retry_after)
            return page
        return render(request, "invite_closed.html", {"why": "unknown"}, status=404)
    if found.standing is not Standing.OPEN:
        return _closed(request, found)
    return found


def _closed(request: Request, invitation: Invitation) -> Response:
    return render(request, "invite_closed.html", {"why": invitation.standing.value}, status=410)
