"""One dataclass in and one out for the workflow, its update and its activities.

Everything in here crosses Temporal's data converter, so fields are plain JSON values: the
experiment travels as the dict of `ExperimentState.to_dict()`, a decision as
`Decision.to_dict()`, times as ISO 8601 strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.answers import DecisionAnswer
from domain.values import OVERDUE_GRACE_DAYS

__all__ = ["DecisionAnswer"]

WORKFLOW_ID_PREFIX = "experiment-"

# How many recent decision ids a workflow keeps, and is given when (re)started from the record,
# to de-duplicate by itself: Temporal's own update de-duplication does not survive
# continue-as-new.
RECENT_DECISION_IDS = 1000


def workflow_id(experiment_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{experiment_id}"


@dataclass
class ExperimentInput:
    experiment_id: str
    # The state to carry on with: None for a new experiment, whose first update is `start`.
    state: dict[str, Any] | None = None
    # Decision ids recently taken, because Temporal's own update de-duplication does not
    # survive continue-as-new.
    recent_decision_ids: list[str] = field(default_factory=list)
    overdue_grace_days: int = OVERDUE_GRACE_DAYS


@dataclass
class DecisionInput:
    decision: dict[str, Any]


@dataclass
class RecordInput:
    experiment_id: str
    decision: dict[str, Any]
    # When the decision was taken, by the workflow's clock, so that timers and the stored
    # history agree on time even when a test skips months.
    at: str


@dataclass
class LoadInput:
    experiment_id: str


@dataclass
class LoadOutput:
    state: dict[str, Any] | None
    decision_ids: list[str]
