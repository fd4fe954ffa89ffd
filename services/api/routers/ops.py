"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from services.api import answers
from services.api.deps import ServicesDep

router = APIRouter(tags=["operations"])

# Beyond this many events behind, the projector is "hopelessly behind" and the API not ready.
MAX_READY_LAG = 10_000

LAG_EVENTS = Gauge(
    "wijklab_projection_lag_events", "Events recorded but not yet in the read models"
)
LAG_SECONDS = Gauge(
    "wijklab_projection_lag_seconds", "Age of the oldest event not yet in the read models"
)
POSITION = Gauge("wijklab_event_store_position", "Last notification id in the event store")


@router.get("/healthz", response_model=answers.Health)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database_checks(services: Any) -> dict[str, Any]:
    head = services.experiments.max_position()
    try:
        projected = services.read_models.position()
    except Exception:
        projected = 0
    POSITION.set(head)
    LAG_EVENTS.set(head - projected)
    lag_seconds = services.experiments.age_of_event_after(projected) if head > projected else 0.0
    LAG_SECONDS.set(lag_seconds)
    return {
        "position": head,
        "projected": projected,
        "lag": head - projected,
        "lag_seconds": round(lag_seconds, 3),
    }


@router.get(
    "/readyz",
    response_model=answers.Readiness,
    responses={503: {"model": answers.Readiness, "description": "not ready; see Retry-After"}},
)
async def readyz(services: ServicesDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    ready = True
    try:
        checks.update(await asyncio.wait_for(run_in_threadpool(_database_checks, services), 5))
        checks["database"] = "ok"
        if checks["lag"] > MAX_READY_LAG:
            ready = False
            checks["projector"] = "behind"
        else:
            checks["projector"] = "ok"
    except Exception as error:
        ready = False
        checks["database"] = f"unavailable: {type(error).__name__}"
    try:
        await asyncio.wait_for(services.temporal.service_client.check_health(), 5)
        checks["temporal"] = "ok"
    except Exception as error:
        ready = False
        checks["temporal"] = f"unavailable: {type(error).__name__}"
    status = 200 if ready else 503
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    if not ready:
        body["error"] = {"code": "not_ready", "message": "a dependency is unavailable or behind"}
    return JSONResponse(body, status_code=status, headers=None if ready else {"Retry-After": "5"})


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    # The other metrics are still worth serving when the database is away.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(run_in_threadpool(_database_checks, services), 5)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
