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
from services.ui.session import services_of, signed_in

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    return redirect("/experiments" if await signed_in(request) else "/sign-in")


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    return render(request, "sign_in.html", {"error": None})


@router.post("/sign-in")
async def sign_in(request: Request, form: Form) -> Response:
    token = str(form.get("token") or "").strip()
    principal = (
        await run_in_threadpool(services_of(request).keys.authenticate, token) if token else None
    )
    if principal is None:
        try:
            services_of(request).rate_limits.failed(Failing.SIGN_IN, client_address(request))
        except TooManyRequests as refused:
            page = render(request, "sign_in.html", {"error": "too_many_failures"}, status=429)
            page.headers["Retry-After"] = str(refused.retry_after)
            return page
        return render(request, "sign_in.html", {"error": "bad_token"}, status=401)
    if not principal.may(Permission.SIGN_IN):
        # Integrations act through signed webhooks; their keys open no pages.
        return render(request, "sign_in.html", {"error": "cannot_sign_in"}, status=403)
    response = redirect("/experiments")
    cookies.put(response, request, cookies.SESSION, token)
    # The pre-session form token has done its work; forms now carry the session's.
    cookies.remove(response, request, cookies.FORM)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, form: Form) -> Response:
    response = redirect("/sign-in")
    cookies.remove(response, request, cookies.SESSION)
    return response


@router.get("/language/{lang}")
async def choose_language(request: Request, lang: str, next: str = "/") -> Response:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = redirect(target)
    if lang in ("nl", "en"):
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
    return response
