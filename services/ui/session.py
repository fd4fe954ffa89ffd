"""Who is looking at a page: the session its cookie names (kept on the server,
`services.stores.sessions`), and whether their role may."""

from __future__ import annotations

import functools
from uuid import UUID

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from domain.access import Permission, Principal
from domain.errors import DomainError
from domain.values import Role
from services.bootstrap import Services
from services.ui import cookies
from services.ui.rendering import PageError


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def signed_in(request: Request) -> Principal | None:
    token = cookies.read(request, cookies.SESSION)
    if not token:
        return None
    return await run_in_threadpool(services_of(request).sessions.authenticate, token)


async def require(request: Request, permission: Permission = Permission.READ) -> Principal:
    principal = await signed_in(request)
    if principal is None or not principal.may(Permission.SIGN_IN):
        raise PageError(401, "sign_in")
    if not principal.may(permission):
        raise PageError(403, "forbidden")
    request.state.waiting = await _waiting(request, principal)
    return principal


# The roles the cycle waits on: their pages' header counts what waits on them.
WAITED_ON = (Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.PARTNER)


async def _waiting(request: Request, principal: Principal) -> int | None:
    """How many decisions wait on the signed-in person (None: not a role waited on, or the
    read models not there yet — the header then shows no count)."""
    if principal.role not in WAITED_ON or not principal.may(Permission.READ):
        return None
    owner = principal.actor_id if principal.role is Role.PROGRAMME_MANAGER else None
    try:
        return await run_in_threadpool(
            services_of(request).read_models.waiting_count,
            principal.municipality,
            role=principal.role.value,
            owner=owner,
        )
    except DomainError:
        return None


def landing(principal: Principal) -> str:
    """Where a person goes after signing in: the experiments, or for an admin (who reads no
    experiments) the people of their municipality."""
    if not principal.may(Permission.READ) and principal.may(Permission.MANAGE_PEOPLE):
        return "/admin/people"
    return "/experiments"


async def begin_session(
    request: Request,
    principal: Principal,
    response: Response,
    *,
    api_key_id: UUID | None = None,
    identity_provider: str | None = None,
) -> Response:
    """Sign `principal` in on `response`: a new session (the id rotates; an earlier session
    of this browser ends), and the pre-session form token gives way to the session's."""
    sessions = services_of(request).sessions
    earlier = cookies.read(request, cookies.SESSION)
    if earlier is not None:
        await run_in_threadpool(sessions.end, earlier)
    session = await run_in_threadpool(
        functools.partial(
            sessions.start,
            principal,
            api_key_id=api_key_id,
            identity_provider=identity_provider,
        )
    )
    cookies.put(response, request, cookies.SESSION, session)
    cookies.remove(response, request, cookies.FORM)
    return response
