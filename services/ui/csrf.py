"""The pages' one guard against cross-site forms: every unsafe method takes `Form`.

Two checks, both needed (OWASP's CSRF guidance): the request must come from this site — a
`Sec-Fetch-Site` other than `same-origin` (or `none`, typed by the visitor) or an `Origin`
of another site is refused — and the form must carry the token bound to the visitor's
session (`services.ui.form_tokens`). Cookies are `SameSite=Strict` besides.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request

from services.ui import form_tokens
from services.ui.rendering import PageError

# Fields that may be sent more than once (checkboxes).
MULTIPLE = ("themes", "supporting")
SAME_SITE = ("same-origin", "none")


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def check_same_site(request: Request) -> None:
    """Refuse a request a browser says came from another site."""
    fetched_from = request.headers.get("sec-fetch-site")
    if fetched_from is not None and fetched_from.lower() not in SAME_SITE:
        raise PageError(403, "bad_csrf")
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/").lower() != own_origin(request).lower():
        raise PageError(403, "bad_csrf")


async def checked_form(request: Request) -> dict[str, Any]:
    """The posted form, once it came from this site with the visitor's own token."""
    check_same_site(request)
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = form_tokens.expected(request)
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise PageError(403, "bad_csrf")
    return {key: form.getlist(key) if key in MULTIPLE else form.get(key) for key in form}


Form = Annotated[dict[str, Any], Depends(checked_form)]
