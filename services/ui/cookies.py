"""The pages' cookies: their names, and how they are set.

In production the names carry the `__Host-` prefix, which browsers accept only for a cookie
that is Secure, for the whole site (`Path=/`) and bound to this exact host (no `Domain`): a
neighbouring subdomain or a plain-HTTP page cannot plant one. Development on
`http://localhost` keeps the plain names, which such a prefix would forbid.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

SESSION = "wijklab_session"
FORM = "wijklab_csrf"
MAX_AGE = 12 * 3600
HOST_PREFIX = "__Host-"


def _production(request: Request) -> bool:
    services = getattr(request.app.state, "services", None)
    return services is not None and services.settings.environment == "production"


def name(request: Request, base: str) -> str:
    return HOST_PREFIX + base if _production(request) else base


def read(request: Request, base: str) -> str | None:
    return request.cookies.get(name(request, base)) or None


def put(response: Response, request: Request, base: str, value: str) -> None:
    """Never readable by scripts, never sent from other sites; Secure over HTTPS and always
    in production."""
    response.set_cookie(
        name(request, base),
        value,
        httponly=True,
        samesite="strict",
        secure=_production(request) or request.url.scheme == "https",
        max_age=MAX_AGE,
        path="/",
    )


def remove(response: Response, request: Request, base: str) -> None:
    response.delete_cookie(
        name(request, base),
        path="/",
        secure=_production(request) or request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
