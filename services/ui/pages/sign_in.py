"""Signing in with a key, signing out, and choosing the language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission
from services.api.deps import client_address
from services.infra.rate_limits import Failing, TooManyRequests
from services.ui import cookies
from services.ui.csrf import Form
from services.ui.i18n import LANG_COOKIE
from services.ui.rendering import redirect, render
from services.ui.session import begin_session, landing, services_of, signed_in

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    principal = await signed_in(request)
    return redirect(landing(principal) if principal else "/sign-in")


async def sign_in_page_with(
    request: Request, error: str | None = None, status: int = 200
) -> Response:
    services = services_of(request)
    context = {
        "error": error,
        "accept_keys": services.settings.pages_accept_keys,
        # A query: off the event loop, like every other read of the pages.
        "providers": await run_in_threadpool(services.identity_providers.list),
    }
    return render(request, "sign_in.html", context, status=status)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    return await sign_in_page_with(request)


@router.post("/sign-in")
async def sign_in(request: Request, form: Form) -> Response:
    """Signing in with an API key: a development convenience (`WIJKLAB_PAGES_ACCEPT_KEYS`)."""
    if not services_of(request).settings.pages_accept_keys:
        return await sign_in_page_with(request, "keys_not_accepted", 403)
    token = str(form.get("token") or "").strip()
    principal = (
        await run_in_threadpool(services_of(request).keys.authenticate, token) if token else None
    )
    if principal is None:
        try:
            services_of(request).rate_limits.failed(Failing.SIGN_IN, client_address(request))
        except TooManyRequests as refused:
            page = await sign_in_page_with(request, "too_many_failures", 429)
            page.headers["Retry-After"] = str(refused.retry_after)
            return page
        return await sign_in_page_with(request, "bad_token", 401)
    if not principal.may(Permission.SIGN_IN):
        # Integrations act through signed webhooks; their keys open no pages.
        return await sign_in_page_with(request, "cannot_sign_in", 403)
    return await begin_session(
        request, principal, redirect(landing(principal)), api_key_id=principal.key_id
    )


@router.post("/sign-out")
async def sign_out(request: Request, form: Form) -> Response:
    session = cookies.read(request, cookies.SESSION)
    if session is not None:
        await run_in_threadpool(services_of(request).sessions.end, session)
    response = redirect("/sign-in")
    cookies.remove(response, request, cookies.SESSION)
    return response


def local_path(value: str) -> str:
    """`value` if it is a path on this site, else `/`: browsers read `//host`, `/\\host` and
    `/<tab>/host` as another site, so a second slash, a backslash or a control character
    anywhere is refused (the framework's quoting of the Location header is not relied on)."""
    if not value.startswith("/") or value.startswith("//"):
        return "/"
    if any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    return value


@router.get("/language/{lang}")
async def choose_language(request: Request, lang: str, next: str = "/") -> Response:
    target = local_path(next)
    response = redirect(target)
    if lang in ("nl", "en"):
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
    return response
