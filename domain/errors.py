"""Errors the domain raises, each with a stable code that clients and pages can rely on."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """A decision or experiment whose fields are malformed: the caller must fix the request."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RuleViolation(DomainError):
    """A well-formed decision that the learning-cycle rules refuse in the current state."""

    def __init__(self, code: str, message: str, *, stage: str | None, allowed: list[str]) -> None:
        super().__init__(message)
        self.code = code
        self.stage = stage
        self.allowed = allowed


class ExperimentNotFound(DomainError):
    code = "experiment_not_found"


class ConcurrentDecision(DomainError):
    """Another decision was recorded on the same experiment first; reload and try again."""

    code = "concurrent_decision"


class DecisionIdReused(DomainError):
    """A decision id that was already used for a different decision or experiment."""

    code = "decision_id_reused"


class PersonNotFound(DomainError):
    code = "person_not_found"


class PersonErased(DomainError):
    """The person was erased: their key is gone, so nothing can be sealed for them again."""

    code = "person_erased"


class NotAllowed(DomainError):
    """The caller's role may not do this (a 403)."""

    code = "forbidden"
