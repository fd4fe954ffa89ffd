"""Staff sign-in through the municipality's OpenID provider: `/sign-in/oidc/{name}` sends the
browser there, `/sign-in/oidc/{name}/callback` takes it back and ends in a session — or in an
error page that says why, with no session.

The `state` also goes into a cookie of this browser, so a callback carrying someone else's
sign-in (login CSRF) is refused. That cookie is `SameSite=Lax`, the one kind a browser sends
on the provider's redirect back; the session cookie is `Strict`, so the callback answers with a
page that moves on by itself instead of a redirect, to have the browser send it at once.
"""

from __future__ import annotations

import functools
import secrets

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.infra.oidc import OidcFailed
from services.ui import cookies
from services.ui.rendering import render
from services.ui.session import begin_session, landing, services_of

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "wijklab_oidc"
STATE_AGE = 600


@router.get("/sign-in/oidc/{name}")
async def begin(request: Request, name: str) -> Response:
    services = services_of(request)
    try:
        sent = await run_in_threadpool(services.staff_sign_in.begin, name)
    except OidcFailed as failed:
        return _failed(request, failed)
    response = RedirectResponse(sent.url, status_code=303)
    response.set_cookie(
        cookies.name(request, STATE_COOKIE),
        sent.state,
        max_age=STATE_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or services.settings.environment == "production",
        path="/",
    )
    return response


@router.get("/sign-in/oidc/{name}/callback", response_class=HTMLResponse)
async def callback(
    request: Request,
    name: str,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    services = services_of(request)
    expected = request.cookies.get(cookies.name(request, STATE_COOKIE), "")
    if error:
        return _failed(request, OidcFailed("provider_refused", error))
    if not state or not expected or not secrets.compare_digest(state, expected):
        return _failed(
            request, OidcFailed("bad_state", "the sign-in did not begin in this browser")
        )
    try:
        principal = await run_in_threadpool(
            functools.partial(services.staff_sign_in.finish, name, state, code)
        )
    except OidcFailed as failed:
        return _failed(request, failed)
    page = render(request, "signed_in.html", {"target": landing(principal)})
    await begin_session(request, principal, page, identity_provider=name)
    page.delete_cookie(cookies.name(request, STATE_COOKIE), path="/")
    return page


def _failed(request: Request, failed: OidcFailed) -> Response:
    page = render(request, "sign_in_failed.html", {"reason": failed.reason}, status=400)
    page.delete_cookie(cookies.name(request, STATE_COOKIE), path="/")
    return page
