"""Which outbound events a recorded decision makes, and what they say: thin messages with
ids, positions, stages and types — never a name, a text or anything else personal, so a
receiver that needs more asks the API with its own key.

Every decision is a `decision.recorded`; an advance is also a `stage.changed`, the
timer's decisions are also `stage.due` / `stage.overdue`, and an endorsement round's opening
and closing are also `endorsement.opened` / `endorsement.closed`. Of a programme's decisions
only the end of a year goes out, as `programme.report_due`: the council's report is due."""

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
    reopens_round: bool = False,
) -> list[Outbound]:
    """The events a decision taken in `cycle`/`stage` makes, with their `data`;
    `reopens_round` says a plan revision puts the plan to residents in a new round."""
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
    elif decision_type is DecisionType.REVISE_PLAN and reopens_round:
        found.append(Outbound("endorsement.opened", {**data, "reopened": True}))
    elif decision_type is DecisionType.OPEN_ENDORSEMENT:
        found.append(
            Outbound(
                "endorsement.opened",
                {
                    **data,
                    "closes_on": payload.get("closes_on"),
                    "threshold": payload.get("threshold"),
                },
            )
        )
    elif decision_type in (DecisionType.ENDORSEMENT_REACHED, DecisionType.ENDORSEMENT_FAILED):
        outcome = "reached" if decision_type is DecisionType.ENDORSEMENT_REACHED else "failed"
        tally = {k: payload.get(k) for k in ("round", "endorsements", "objections", "needed")}
        found.append(Outbound("endorsement.closed", {**data, "outcome": outcome, **tally}))
    return found


def programme_events(
    *,
    decision_type: str,
    payload: dict[str, Any],
    programme_id: str,
    decision_id: str,
    position: int,
) -> list[Outbound]:
    """The events a programme's decision makes: only `report_due`, with its year."""
    if decision_type != "report_due":
        return []
    data = {
        "programme_id": programme_id,
        "decision_id": decision_id,
        "position": position,
        "year": payload.get("year"),
    }
    return [Outbound("programme.report_due", data)]


def message_body(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The body the Standard Webhooks specification suggests: type, timestamp, data."""
    return {"type": event_type, "timestamp": at.isoformat(), "data": data}
