"""The pages' one guard against cross-site forms: every unsafe method takes `Form`, which
reads the posted form only once its CSRF token matches the visitor's cookie (double submit,
the cookie `SameSite=Strict`)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request

from services.ui.rendering import CSRF_COOKIE, PageError

# Fields that may be sent more than once (checkboxes).
MULTIPLE = ("themes",)


async def checked_form(request: Request) -> dict[str, Any]:
    """The posted form, after checking its CSRF token against the cookie."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise PageError(403, "bad_csrf")
    return {key: form.getlist(key) if key in MULTIPLE else form.get(key) for key in form}


Form = Annotated[dict[str, Any], Depends(checked_form)]
