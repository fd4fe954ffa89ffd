"""Money over time: every cycle's plan counts, in the year it was made, per funding pot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from domain.experiment import Experiment
from domain.funding import CycleBudget, planned, with_cycle, year_of
from domain.values import BudgetLine
from tests.builders import PLAN, PM, RESIDENT, decision, start


def plan(amounts: dict[str, str]) -> dict[str, object]:
    return {
        **PLAN,
        "budget": [{"source": source, "amount_eur": amount} for source, amount in amounts.items()],
    }


def test_each_cycle_counts_its_latest_plan_in_its_own_year() -> None:
    first_year = datetime(2025, 3, 1, 10, tzinfo=UTC)
    new_years_eve = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 2026 in the Netherlands
    experiment = Experiment.start(start(), experiment_id=uuid.uuid4(), at=first_year)
    experiment.decide(decision("revise_plan", **plan({"sociaal domein": "1000.00"})), at=first_year)
    experiment.decide(
        decision("revise_plan", **plan({"sociaal domein": "800.00", "energie": "200.00"})),
        at=first_year,
    )
    for step in (
        decision("endorse_plan", RESIDENT),
        decision("advance", to="act"),
        decision("record_finding", RESIDENT, text="ja", source="residents"),
        decision("advance", to="evaluate"),
        decision("advance", to="learn"),
        decision("record_lesson", RESIDENT, text="samen", themes=[]),
    ):
        experiment.decide(step, at=first_year)
    experiment.decide(decision("advance", PM, to="plan"), at=new_years_eve)
    carried = experiment.state
    assert [(b.cycle, b.year, b.total_eur) for b in carried.cycle_budgets] == [
        (1, 2025, Decimal("1000.00")),
        (2, 2026, Decimal("1000.00")),
    ], "the carried plan plans cycle 2, counted in 2026"
    experiment.decide(
        decision("revise_plan", **plan({"energie": "5000.00"})),
        at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    answer = experiment.state.to_dict()
    assert answer["planned_eur"] == [
        {"source": "energie", "year": 2025, "amount_eur": "200.00"},
        {"source": "sociaal domein", "year": 2025, "amount_eur": "800.00"},
        {"source": "energie", "year": 2026, "amount_eur": "5000.00"},
    ]
    assert answer["plan"]["budget_total_eur"] == "5000.00", "the plan is only the current one"
    assert [b["cycle"] for b in answer["budget_by_cycle"]] == [1, 2]


def test_sums_per_pot_and_year() -> None:
    line = BudgetLine
    budgets = (
        CycleBudget(1, 2025, (line("a", Decimal("1.10")), line("b", Decimal("2")))),
        CycleBudget(2, 2025, (line("a", Decimal("0.90")),)),
        CycleBudget(3, 2027, ()),
    )
    assert planned(budgets) == [
        {"source": "a", "year": 2025, "amount_eur": "2.00"},
        {"source": "b", "year": 2025, "amount_eur": "2.00"},
    ]
    replaced = with_cycle(budgets, 2, datetime(2026, 6, 1, tzinfo=UTC), [line("c", Decimal(5))])
    assert [(b.cycle, b.year) for b in replaced] == [(1, 2025), (3, 2027), (2, 2026)]
    assert CycleBudget.from_dict(replaced[-1].to_dict()) == replaced[-1]
    assert year_of(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == 2027
