"""A programme's decisions and rules, pure: what a programme may say, what it sums, and what
is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.programme import (
    ProgrammeDecision,
    ProgrammeDecisionType,
    begin,
    evolve,
    refusal,
    report_due_at,
)
from domain.values import TIMER_ACTOR, Actor, Role

PM = Actor("pm-1", Role.PROGRAMME_MANAGER, "Petra")
AT = datetime(2026, 3, 1, tzinfo=UTC)
CREATE: dict[str, Any] = {
    "municipality": "utrecht",
    "name": "Wijkaanpak Overvecht",
    "description": "Twintig jaar samen met bewoners",
    "neighbourhoods": ["wk034403", "BU03440305"],
    "period": {"from_year": 2026, "to_year": 2045},
    "funding": [
        {"source": "sociaal domein", "year": 2026, "amount_eur": "250000"},
        {"source": "fysiek", "year": 2026, "amount_eur": 100000.5},
        {"source": "sociaal domein", "year": 2026, "amount_eur": "50000"},
    ],
}


def parse(
    kind: str, actor: Actor = PM, rationale: str | None = "besproken", **payload: Any
) -> ProgrammeDecision:
    return ProgrammeDecision.parse(
        decision_id=uuid.uuid4().hex, type=kind, actor=actor, rationale=rationale, payload=payload
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": {"from_year": 2030, "to_year": 2029}}, "period.to_year"),
        ({"period": {"from_year": 2026, "to_year": 2056}}, "period.to_year"),
        ({"period": {"from_year": "2026", "to_year": 2030}}, "period.from_year"),
        ({"period": {"from_year": 1990, "to_year": 2000}}, "period.from_year"),
        ({"funding": [{"source": "x", "year": 2026, "amount_eur": -1}]}, "funding[0]"),
        ({"funding": [{"source": "x", "year": 2026, "amount_eur": "veel"}]}, "funding[0]"),
        ({"funding": [{"source": "x", "year": 2050, "amount_eur": 1}]}, "funding[0].year"),
        ({"funding": [{"source": "x", "amount_eur": 1}]}, "funding[0].year"),
        ({"neighbourhoods": []}, "neighbourhoods"),
        ({"neighbourhoods": ["WK1", "wk1"]}, "neighbourhoods"),
        ({"name": ""}, "name"),
    ],
)
def test_a_programme_that_cannot_be_is_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse("create_programme", rationale=None, **(CREATE | change))
    assert refused.value.field is not None
    assert refused.value.field.startswith(field)


def test_funding_is_summed_per_pot_and_year_and_decisions_change_what_they_say() -> None:
    created = parse("create_programme", rationale=None, **CREATE)
    state = begin("p-1", created.payload, at=AT)
    assert state.neighbourhoods == ("WK034403", "BU03440305")
    assert state.allocated() == [
        {"source": "fysiek", "year": 2026, "amount_eur": "100000.50"},
        {"source": "sociaal domein", "year": 2026, "amount_eur": "300000.00"},
    ]
    for kind, payload in (
        ("allocate_funding", {"source": "energie", "year": 2027, "amount_eur": "75000"}),
        ("add_neighbourhood", {"code": "WK034404"}),
        ("revise_programme", {"name": "Wijkaanpak Overvecht en Noordoost"}),
    ):
        decision = parse(kind, **payload)
        assert refusal(state, decision) is None
        state = evolve(state, decision.type, decision.payload, at=AT)
    assert state.allocated()[-1] == {"source": "energie", "year": 2027, "amount_eur": "75000.00"}
    assert state.neighbourhoods[-1] == "WK034404"
    assert state.name.endswith("Noordoost")
    assert state.version == 4


def test_what_the_rules_refuse() -> None:
    state = begin("p-1", parse("create_programme", rationale=None, **CREATE).payload, at=AT)
    cases = [
        (parse("allocate_funding", source="x", year=2046, amount_eur=1), "year_outside_period"),
        (parse("add_neighbourhood", code="wk034403"), "already_in_programme"),
        (parse("report_due", TIMER_ACTOR, year=2050), "already_recorded"),
        (parse("report_due", year=2026), "role_not_allowed"),
        (parse("close_programme", Actor("r", Role.RESIDENT)), "role_not_allowed"),
        (parse("create_programme", rationale=None, **CREATE), "already_started"),
    ]
    for decision, code in cases:
        found = refusal(state, decision)
        assert found is not None, decision.type
        assert found.code == code, (decision.type, found)
    due = parse("report_due", TIMER_ACTOR, year=2026)
    state = evolve(state, due.type, due.payload, at=AT)
    assert refusal(state, due).code == "already_recorded"  # type: ignore[union-attr]
    closing = parse("close_programme")
    state = evolve(state, closing.type, closing.payload, at=AT)
    assert refusal(state, parse("add_neighbourhood", code="WK1")).code == "programme_closed"  # type: ignore[union-attr]
    assert refusal(None, parse("close_programme")).code == "not_started"  # type: ignore[union-attr]
    assert ProgrammeDecisionType.REPORT_DUE.value == "report_due"


def test_a_year_ends_at_midnight_in_the_netherlands() -> None:
    assert report_due_at(2026) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert report_due_at(2027) == datetime(2027, 12, 31, 23, 0, tzinfo=UTC)
