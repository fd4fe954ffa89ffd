"""Domain errors across Temporal: raised as `ApplicationError`s, read back on the client side.

A validator or handler that refuses a decision raises one of these; the caller catches
`WorkflowUpdateFailedError` and gets the original domain error back, code and all.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError, FailureError

from domain.errors import (
    ConcurrentDecision,
    DecisionIdReused,
    DomainError,
    ExperimentNotFound,
    InvalidInput,
    RuleViolation,
)

# Domain errors worth retrying: a conflict clears up once the activity reloads the aggregate.
RETRYABLE = frozenset({ConcurrentDecision.__name__})
NON_RETRYABLE_TYPES = [
    RuleViolation.__name__,
    InvalidInput.__name__,
    DecisionIdReused.__name__,
    ExperimentNotFound.__name__,
]


def to_application_error(error: DomainError) -> ApplicationError:
    details: dict[str, Any] = {"code": error.code}
    if isinstance(error, RuleViolation):
        details.update(stage=error.stage, allowed=error.allowed)
    if isinstance(error, InvalidInput):
        details.update(field=error.field)
    name = type(error).__name__
    return ApplicationError(error.message, details, type=name, non_retryable=name not in RETRYABLE)


def _application_error(failure: BaseException | None) -> ApplicationError | None:
    """The innermost ApplicationError in a chain of Temporal failures."""
    found = None
    while failure is not None:
        if isinstance(failure, ApplicationError):
            found = failure
        failure = failure.cause if isinstance(failure, FailureError) else failure.__cause__
    return found


def from_failure(failure: BaseException) -> DomainError | None:
    """The domain error a Temporal failure carries, if it carries one."""
    error = _application_error(failure)
    if error is None:
        return None
    details: dict[str, Any] = error.details[0] if error.details else {}
    match error.type:
        case "RuleViolation":
            return RuleViolation(
                details.get("code", "rule_violation"),
                error.message,
                stage=details.get("stage"),
                allowed=list(details.get("allowed", [])),
            )
        case "InvalidInput":
            return InvalidInput(error.message, field=details.get("field"))
        case "DecisionIdReused":
            return DecisionIdReused(error.message)
        case "ExperimentNotFound":
            return ExperimentNotFound(error.message)
        case "ConcurrentDecision":
            return ConcurrentDecision(error.message)
    return None
