"""Returning by e-mail: ask for a link (`POST /sign-in/email`), follow it
(`/sign-in/email/{token}`), press the button to sign in.

The answer to the request is the same page whether the address is known or not, and the
looking up and mailing run after it has been sent, so neither the words nor the time tell
an address apart. Opening the link changes nothing (mail scanners open links); the button
uses it, once, within 15 minutes.
"""

from __future__ import annotations

import functools
import uuid

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.background import BackgroundTask

from domain.access import Principal
from services.app.returning import send_sign_in_links
from services.infra.mail import looks_like_address
from services.ui.csrf import Form
from services.ui.pages.sign_in import sign_in_page_with
from services.ui.rendering import language, redirect, render
from services.ui.session import begin_session, landing, services_of

router = APIRouter(include_in_schema=False)


@router.post("/sign-in/email")
async def ask_for_link(request: Request, form: Form) -> Response:
    address = str(form.get("email") or "").strip()
    if not looks_like_address(address) or len(address) > 200:
        return await sign_in_page_with(request, "bad_email", 422)
    services = services_of(request)
    page = render(request, "sign_in_sent.html", {})
    if services.rate_limits.may_mail_sign_in(services.invitations.contact_lookup(address)):
        page.background = BackgroundTask(
            functools.partial(
                send_sign_in_links,
                address,
                language=language(request),
                invitations=services.invitations,
                links=services.sign_in_links,
                mail=services.mail,
                base_url=services.settings.base_url,
            )
        )
    return page


@router.get("/sign-in/email/{token}", response_class=HTMLResponse)
async def link_page(request: Request, token: str) -> Response:
    if not await run_in_threadpool(services_of(request).sign_in_links.is_open, token):
        return render(request, "sign_in_link_closed.html", {}, status=410)
    return render(request, "sign_in_link.html", {"token": token})


@router.post("/sign-in/email/{token}")
async def use_link(request: Request, token: str, form: Form) -> Response:
    services = services_of(request)
    holder = await run_in_threadpool(services.sign_in_links.use, token)
    if holder is None:
        return render(request, "sign_in_link_closed.html", {}, status=410)
    principal = Principal(
        key_id=uuid.uuid4(),
        role=holder.role,
        municipality=holder.municipality,
        name="",
        person_id=holder.person_id,
        organisation=holder.organisation,
    )
    return await begin_session(request, principal, redirect(landing(principal)))
