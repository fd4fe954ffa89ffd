"""Small builders for decisions and experiments, shared by the tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.decisions import Decision
from domain.values import Actor, Role
from services.infra.event_store import Experiments
from services.infra.postgres import Database

PM = Actor("pm-1", Role.PROGRAMME_MANAGER, "Petra Manager")
RESIDENT = Actor("res-1", Role.RESIDENT, "Rachid Bewoner")
EVALUATOR = Actor("eval-1", Role.EVALUATOR, "Els Evaluator")
INTEGRATION = Actor("survey-tool", Role.INTEGRATION, "survey tool")
ADMIN = Actor("admin-1", Role.ADMIN, "Admin")
SYSTEM = Actor("timer", Role.SYSTEM, "timer")
PARTNER = Actor("partner-1", Role.PARTNER, "Wijkagent Karim")

ACTORS = {a.role: a for a in (PM, RESIDENT, EVALUATOR, INTEGRATION, ADMIN, SYSTEM, PARTNER)}

_ids = itertools.count(1)


def start_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "municipality": "utrecht",
        "neighbourhood": {"code": "WK034401", "name": "Overvecht", "kind": "wijk"},
        "title": "Samen warm de winter door",
        "question": "Helpt een buurtenergiecoach bewoners met hoge energierekeningen?",
        "residents_agenda": "Bewoners van de Zambesidreef vroegen om hulp bij hun energierekening.",
        "themes": ["energy_transition", "work_income"],
    }
    payload.update(overrides)
    return payload


PLAN = {
    "description": "Twee buurtenergiecoaches bezoeken 200 huishoudens.",
    "indicators": [{"name": "huishoudens bezocht", "target": 200}],
    "budget": [
        {"source": "energietransitie", "amount_eur": 40000},
        {"source": "sociaal domein", "amount_eur": 12500.5},
    ],
}


def decision(
    kind: str,
    actor: Actor = PM,
    *,
    decision_id: str | None = None,
    rationale: str = "besproken in het wijkoverleg",
    channel: str = "api",
    **payload: Any,
) -> Decision:
    return Decision.parse(
        decision_id=decision_id or f"d-{next(_ids)}",
        type=kind,
        actor=actor,
        rationale=rationale,
        source=channel,
        payload=payload,
    )


def start(actor: Actor = PM, *, decision_id: str | None = None, **overrides: Any) -> Decision:
    return decision(
        "start", actor, decision_id=decision_id, rationale="", **start_payload(**overrides)
    )


def round_closing_on(days: int = 30) -> str:
    """A round's `closes_on`, `days` from today."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def endorsement(rounds: bool) -> list[Decision]:
    """Residents endorse the current plan: in a round one resident's vote reaches (the
    workflow then records `endorsement_reached`), or by one `endorse_plan` under the rules of
    experiments begun before rounds."""
    if not rounds:
        return [decision("endorse_plan", RESIDENT, rationale="bewonersavond: 34 van 40 voor")]
    return [
        decision(
            "open_endorsement",
            PM,
            rationale="op de bewonersavond besproken",
            closes_on=round_closing_on(),
            threshold={"count": 1},
        ),
        decision("endorse", RESIDENT),
    ]


# The decisions that take an experiment through one whole cycle, from plan back to plan:
# under endorsement rounds (as the workflow starts every new experiment) or before them.
def one_cycle(*, rounds: bool = False) -> list[Decision]:
    return [
        decision("revise_plan", PM, **PLAN),
        *endorsement(rounds),
        decision("advance", PM, to="act"),
        decision("record_finding", RESIDENT, text="De coach komt echt langs.", source="residents"),
        decision(
            "record_finding",
            PM,
            text="Bezoeken tot nu toe",
            source="data",
            indicator="huishoudens bezocht",
            value=120,
        ),
        decision("advance", PM, to="evaluate"),
        decision("advance", PM, to="learn"),
        decision(
            "record_lesson",
            RESIDENT,
            text="Bewoners vertrouwen een buurtgenoot meer.",
            themes=["energy_transition"],
        ),
        decision("advance", PM, to="plan"),
    ]


def record_opener(database: Database) -> Callable[[], Experiments]:
    """What the composition root hands the projector and a rebuild: a way to open the
    event store on `database`."""
    return lambda: Experiments.open(database)
