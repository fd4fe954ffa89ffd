"""Every error answers `{"error": {"code", "message", ...}}`; domain errors map here, in one
place, never in the routes."""

from __future__ import annotations

from typing import Any

import psycopg
import psycopg_pool
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    ConcurrentDecision,
    DecisionIdReused,
    DomainError,
    ExperimentNotFound,
    InvalidInput,
    NotAllowed,
    PersonErased,
    PersonNotFound,
    RuleViolation,
)
from domain.evidence import (
    EvidenceErased,
    EvidenceNotFound,
    EvidenceNotOfExperiment,
    FileTooLarge,
    UnsupportedFileType,
)
from domain.programme import ProgrammeNotFound
from domain.rules import ROLE_REFUSALS
from projections.queries import ProjectionLagging, ReadModelsUnavailable
from services.api.middleware import MAX_BODY, BodyTooLarge
from services.api.problems import problems_of, summary
from services.app.errors import DecisionPending, ExperimentBusy
from services.infra.rate_limits import TooManyRequests
from services.infra.temporal import TemporalUnavailable
from services.infra.webhooks import SignatureRejected

log = structlog.get_logger(__name__)

RETRY_AFTER = "1"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, **extra}}
    return JSONResponse(body, status_code=status, headers=headers)


def domain_response(error: DomainError) -> JSONResponse:
    if isinstance(error, RuleViolation):
        if error.code in ROLE_REFUSALS:
            # Every 403 has one shape, `{code, message}`: what the role may not do does not
            # depend on the stage.
            return error_response(403, error.code, error.message)
        return error_response(
            409, error.code, error.message, stage=error.stage, allowed=error.allowed
        )
    if isinstance(error, InvalidInput):
        return error_response(422, error.code, error.message, field=error.field)
    if isinstance(error, DecisionIdReused):
        return error_response(422, "idempotency_key_reused", error.message)
    if isinstance(error, NotAllowed):
        return error_response(403, error.code, error.message)
    if isinstance(error, FileTooLarge):
        return error_response(413, error.code, error.message)
    if isinstance(error, UnsupportedFileType):
        return error_response(415, error.code, error.message)
    if isinstance(error, EvidenceErased):
        return error_response(410, error.code, error.message)
    if isinstance(error, EvidenceNotOfExperiment):
        return error_response(404, error.code, error.message, field="evidence")
    if isinstance(
        error, ExperimentNotFound | PersonNotFound | EvidenceNotFound | ProgrammeNotFound
    ):
        return error_response(404, "not_found", error.message)
    if isinstance(error, PersonErased):
        return error_response(409, error.code, error.message)
    if isinstance(error, ConcurrentDecision):
        return error_response(409, error.code, error.message)
    if isinstance(error, SignatureRejected):
        return error_response(401, error.code, error.message)
    if isinstance(error, ProjectionLagging):
        return error_response(
            503,
            error.code,
            error.message,
            headers={"Retry-After": RETRY_AFTER},
            position=error.position,
            min_position=error.wanted,
        )
    # A limit reached: a rate limit, or a crowd deciding on one experiment at once.
    if isinstance(error, TooManyRequests | ExperimentBusy):
        return error_response(
            429,
            error.code,
            error.message,
            headers={"Retry-After": str(error.retry_after)},
            retry_after=error.retry_after,
        )
    if isinstance(error, ReadModelsUnavailable | DecisionPending):
        return error_response(503, error.code, error.message, headers={"Retry-After": RETRY_AFTER})
    log.error("unmapped_domain_error", code=error.code, message=error.message)
    return error_response(409, error.code, error.message)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        if "retry_after" in error.extra:
            headers = {"Retry-After": str(error.extra["retry_after"])}
        return error_response(error.status, error.code, error.message, headers, **error.extra)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        return domain_response(error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = problems_of(error.errors())
        return error_response(422, "invalid_input", summary(problems), problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and isinstance(error.__cause__, BodyTooLarge):
            # A body streamed without a length, stopped at the limit while FastAPI read it.
            return error_response(
                413, "payload_too_large", f"request bodies are limited to {MAX_BODY} bytes"
            )
        if error.status_code == 400:
            # FastAPI's answer to a body its JSON parser gave up on (nested too deeply, say):
            # a bad body, like any other.
            return error_response(
                422,
                "invalid_input",
                "the body could not be read as JSON (malformed, or nested too deeply)",
                field="body",
            )
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        return error_response(
            error.status_code,
            codes.get(error.status_code, "http_error"),
            str(error.detail),
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(TemporalUnavailable)
    async def temporal_down(_: Request, error: TemporalUnavailable) -> JSONResponse:
        log.warning("temporal_unavailable", error=str(error))
        return error_response(
            503,
            "temporal_unavailable",
            "the workflow service is unavailable; try again",
            headers={"Retry-After": RETRY_AFTER},
        )

    @app.exception_handler(psycopg.DataError)
    async def bad_value(_: Request, error: psycopg.DataError) -> JSONResponse:
        log.info("value_refused_by_database", error=str(error))
        return error_response(
            422, "invalid_input", "a value in the request cannot be stored or searched"
        )

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(psycopg_pool.PoolTimeout)
    async def database_down(_: Request, error: Exception) -> JSONResponse:
        log.warning("database_unavailable", error=str(error))
        return error_response(
            503,
            "database_unavailable",
            "the database is unavailable; try again",
            headers={"Retry-After": RETRY_AFTER},
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        if _is_database_outage(error):
            return await database_down(_, error)
        log.exception("unhandled_error")
        return error_response(500, "internal_error", "something went wrong on our side")


def _is_database_outage(error: BaseException) -> bool:
    from eventsourcing.persistence import OperationalError as StoreOperationalError

    return isinstance(
        error, StoreOperationalError | psycopg.OperationalError | psycopg_pool.PoolTimeout
    )
