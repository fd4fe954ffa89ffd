"""What crosses Temporal's data converter for a programme's workflow: plain JSON values, the
programme as `ProgrammeState.to_dict()`, a decision as `ProgrammeDecision.to_dict()`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROGRAMME_WORKFLOW_PREFIX = "programme-"
RECENT_PROGRAMME_DECISIONS = 500


def programme_workflow_id(programme_id: str) -> str:
    return f"{PROGRAMME_WORKFLOW_PREFIX}{programme_id}"


@dataclass
class ProgrammeInput:
    programme_id: str
    # None for a new programme, whose first update is `create_programme`.
    state: dict[str, Any] | None = None
    recent_decision_ids: list[str] = field(default_factory=list)


@dataclass
class ProgrammeDecisionInput:
    decision: dict[str, Any]


@dataclass
class ProgrammeRecordInput:
    programme_id: str
    decision: dict[str, Any]
    # When it was taken, by the workflow's clock (a test may skip years).
    at: str
