"""The token every form carries, bound to who is signed in.

For a signed-in visitor the token is derived from their session — an HMAC, under a key of
this installation, of the session cookie's value — so a token an attacker chose (or read
from another session) is worth nothing, and it changes with every new session. Before
signing in there is no session: the sign-in form then uses a random token in a cookie of its
own (double submit); the `Origin` check (`services.ui.csrf`) covers it too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request

from services.ui import cookies


def _form_key(request: Request) -> bytes:
    key: bytes = request.app.state.services.form_key
    return key


def for_session(request: Request, session: str) -> str:
    digest = hmac.new(_form_key(request), b"form\x00" + session.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def expected(request: Request) -> str | None:
    """The token a form posted by this visitor must carry (None: there can be none)."""
    session = cookies.read(request, cookies.SESSION)
    if session is not None:
        return for_session(request, session)
    return cookies.read(request, cookies.FORM)


def for_page(request: Request) -> tuple[str, str | None]:
    """The token to put in this page's forms, and a new pre-session cookie value if one is
    needed."""
    token = expected(request)
    if token is not None:
        return token, None
    fresh = secrets.token_urlsafe(24)
    return fresh, fresh
