"""A person's reminders: `/settings/mail` to choose each reminder, a daily digest or none
(and the language of the mail), and `/unsubscribe/{token}` to stop them all without signing
in.

The unsubscribe link is its own proof (a keyed hash of the person's pseudonymous id), so its
POST needs no session and no form token: a mail program's one-click unsubscribe (RFC 8058)
posts it with neither. Opening the link changes nothing (mail scanners open links); the
button, or the one-click POST, does. A forged link is refused and changes nothing; a second
use says it was done already.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission
from domain.reminders import Frequency
from services.app.reminding import LANGUAGES, InvalidUnsubscribeLink
from services.ui.csrf import Form
from services.ui.rendering import PageError, redirect, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)

SETTINGS = "/settings/mail"


def _person(person_id: str | None) -> str:
    if person_id is None:  # a key's session belongs to no person with an address
        raise PageError(403, "forbidden")
    return person_id


@router.get(SETTINGS, response_class=HTMLResponse)
async def settings_page(request: Request) -> Response:
    principal = await require(request, Permission.SIGN_IN)
    person_id = _person(principal.person_id)
    preference = await run_in_threadpool(services_of(request).mail_preferences.of, person_id)
    return render(
        request,
        "mail_settings.html",
        {
            "frequency": preference.frequency.value,
            "mail_language": preference.language or "nl",
            "frequencies": [f.value for f in Frequency],
            "languages": LANGUAGES,
            "done": request.query_params.get("done"),
        },
        principal=principal,
    )


@router.post(SETTINGS)
async def choose(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.SIGN_IN)
    person_id = _person(principal.person_id)
    try:
        frequency = Frequency(str(form.get("frequency") or ""))
    except ValueError:
        raise PageError(422, "check_field") from None
    mail_language = str(form.get("language") or "")
    if mail_language not in LANGUAGES:
        raise PageError(422, "check_field")
    await run_in_threadpool(
        services_of(request).mail_preferences.choose, person_id, frequency, mail_language
    )
    return redirect(f"{SETTINGS}?done=1")


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: str) -> Response:
    links = services_of(request).reminding.links
    try:
        links.person_of(token)
    except InvalidUnsubscribeLink:
        return render(request, "error.html", {"message": "unsubscribe_invalid"}, status=404)
    return render(request, "unsubscribe.html", {"token": token})


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str) -> Response:
    try:
        stopped = await run_in_threadpool(services_of(request).reminding.unsubscribe, token)
    except InvalidUnsubscribeLink:
        return render(request, "error.html", {"message": "unsubscribe_invalid"}, status=404)
    return render(request, "unsubscribed.html", {"already": not stopped})
