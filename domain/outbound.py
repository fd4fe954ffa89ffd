"""Which outbound events a recorded decision makes, and what they say: thin messages with
ids, positions, stages and types — never a name, a text or anything else personal, so a
receiver that needs more asks the API with its own key.

Every decision is a `decision.recorded`; an advance is also a `stage.changed`, and the
timer's decisions are also `stage.due` / `stage.overdue`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.decisions import DecisionType


@dataclass(frozen=True)
class Outbound:
    event_type: str
    data: dict[str, Any]


def outbound_events(
    *,
    decision_type: DecisionType,
    payload: dict[str, Any],
    experiment_id: str,
    decision_id: str,
    position: int,
    cycle: int,
    stage: str,
) -> list[Outbound]:
    """The events a decision taken in `cycle`/`stage` makes, with their `data`."""
    data: dict[str, Any] = {
        "experiment_id": experiment_id,
        "decision_id": decision_id,
        "decision_type": decision_type.value,
        "position": position,
        "cycle": cycle,
        "stage": stage,
    }
    found = [Outbound("decision.recorded", data)]
    if decision_type is DecisionType.ADVANCE:
        to = str(payload.get("to", ""))
        next_cycle = cycle + 1 if stage == "learn" and to == "plan" else cycle
        found.append(
            Outbound(
                "stage.changed",
                {**data, "from": stage, "stage": to, "cycle": next_cycle},
            )
        )
    elif decision_type is DecisionType.STAGE_DUE:
        found.append(Outbound("stage.due", data))
    elif decision_type is DecisionType.STAGE_OVERDUE:
        found.append(Outbound("stage.overdue", data))
    return found


def message_body(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The body the Standard Webhooks specification suggests: type, timestamp, data."""
    return {"type": event_type, "timestamp": at.isoformat(), "data": data}
