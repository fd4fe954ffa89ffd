"""The answer to a decision, the same from the event store through the workflow to HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.decisions import Decision
from domain.errors import DecisionIdReused


@dataclass
class DecisionAnswer:
    """What a decision answers, whether it was just taken or is a repeat.

    It crosses Temporal's data converter as the update's and the activity's result, so its
    fields are plain JSON values and new ones get defaults (older histories lack them).
    """

    decision_id: str
    # The experiment after the decision, as `ExperimentState.to_dict()`.
    experiment: dict[str, Any]
    # The decision's notification id in the event store's log.
    position: int
    # True when this answers a decision id that was already taken.
    repeated: bool = False
    # Of the decision as stored (see `Decision.fingerprint`): lets callers behind other
    # de-duplication layers (Temporal's update ids) tell a true repeat from a decision id
    # reused for something else. Empty in older histories.
    fingerprint: str = ""


def check_repeat(first_fingerprint: str, decision: Decision) -> None:
    """Refuse `decision` when its id was first used for a decision with another fingerprint
    (an empty one, from an older history, cannot be compared and passes)."""
    if first_fingerprint and first_fingerprint != decision.fingerprint():
        raise DecisionIdReused(
            f"decision id {decision.decision_id!r} was already used for a different decision"
        )
