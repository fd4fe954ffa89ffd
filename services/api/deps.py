"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool

from domain.access import Permission, Principal
from domain.decisions import DECISION_ID_PATTERN, MAX_DECISION_ID
from domain.values import Actor
from services.api.errors import ApiError
from services.bootstrap import Services
from services.infra.rate_limits import Failing

MinPosition = Annotated[
    int | None, Query(ge=0, description="wait until the read models include this position")
]


def client_address(request: Request) -> str:
    """The caller's address (a trusted proxy's X-Forwarded-For already applied by uvicorn)."""
    return request.client.host if request.client else "unknown"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_principal(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The caller behind a valid key. Only failures count towards the address's limit, so a
    valid key goes through while others at the same address are throttled."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        services.rate_limits.failed(Failing.SIGN_IN, client_address(request))
        raise ApiError(401, "unauthenticated", "send an API key as 'Authorization: Bearer <token>'")
    principal = await run_in_threadpool(services.keys.authenticate, token.strip())
    if principal is None:
        services.rate_limits.failed(Failing.SIGN_IN, client_address(request))
        raise ApiError(401, "unauthenticated", "the API key is unknown or revoked")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: Permission):  # type: ignore[no-untyped-def]
    """A dependency that lets through only the roles the role matrix allows."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.may(permission):
            raise ApiError(
                403,
                "forbidden",
                f"a {principal.role.value} key may not {permission.value.replace('_', ' ')}",
            )
        return principal

    return Depends(check)


Reader = Annotated[Principal, require(Permission.READ)]
Starter = Annotated[Principal, require(Permission.START_EXPERIMENT)]
Decider = Annotated[Principal, require(Permission.DECIDE)]
PastReader = Annotated[Principal, require(Permission.READ_PAST_STATE)]
PeopleAdmin = Annotated[Principal, require(Permission.MANAGE_PEOPLE)]
Inviter = Annotated[Principal, require(Permission.INVITE)]
KeyAdmin = Annotated[Principal, require(Permission.MANAGE_KEYS)]


def actor_of(principal: Principal) -> Actor:
    return Actor(id=principal.actor_id, role=principal.role, name=principal.name)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=MAX_DECISION_ID,
        description=(
            f"1 to {MAX_DECISION_ID} letters, digits or '_.:-', starting with a letter or digit; "
            "becomes the decision id"
        ),
        json_schema_extra={"pattern": DECISION_ID_PATTERN},
    ),
]
