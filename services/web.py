"""The web application: the API's routers and the pages in one FastAPI app, with the error
handlers and middleware they share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from services import tracing
from services.api import docs, errors
from services.api.middleware import LimitBody, RequestContext, SecurityHeaders
from services.api.routers import (
    actions,
    commons,
    evidence,
    experiments,
    invitations,
    lessons,
    ops,
    people,
    programmes,
    register,
    subscriptions,
    webhooks,
)
from services.bootstrap import Runtime, Services, api_services
from services.ui import pages

DESCRIPTION = """
Neighbourhood experiments as learning cycles (plan → act → evaluate → learn). Every change
is a decision, kept as an event. Authenticate with `Authorization: Bearer <token>`.
"""


def create_app(services: Callable[[], AbstractAsyncContextManager[Services]]) -> FastAPI:
    """An app whose dependencies come from `services`, entered for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services() as built:
            app.state.services = built
            yield

    app = FastAPI(
        title="wijklab",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    docs.install(app)
    errors.install(app)
    for router in (
        experiments.router,
        evidence.router,
        lessons.router,
        commons.router,
        register.router,
        programmes.router,
        actions.router,
        webhooks.router,
        people.router,
        invitations.router,
        subscriptions.router,
        ops.router,
    ):
        app.include_router(router)
    pages.install(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(LimitBody)
    app.add_middleware(RequestContext)
    if tracing.enabled():
        # The request's span is the root of a decision's trace (or continues a caller's
        # `traceparent`); health and metrics scrapes are not traced.
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=tracing.provider(), excluded_urls="health,metrics,static"
        )
    return app


def app_for(rt: Runtime, address: str | None = None) -> FastAPI:
    """The app with its production container (Temporal at `address`, else as configured)."""
    return create_app(api_services(rt, address))
