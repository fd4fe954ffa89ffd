"""Money over time: what each cycle of an experiment planned to spend, per funding pot and
year, kept for every cycle — not only the current plan, which a revision replaces.

A programme's funding is allocated per pot and year; what its experiments planned must be
summed the same way to set against it. The cycle's year is the year (in the Netherlands) of
its plan's latest revision, or of the cycle's start where its plan was carried over as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domain.values import BudgetLine

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True, slots=True)
class CycleBudget:
    """The budget one cycle's plan planned, and the year it is counted in."""

    cycle: int
    year: int
    lines: tuple[BudgetLine, ...]

    @property
    def total_eur(self) -> Decimal:
        return sum((line.amount_eur for line in self.lines), Decimal("0.00"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "year": self.year,
            "budget": [line.to_dict() for line in self.lines],
            "total_eur": str(self.total_eur),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CycleBudget:
        return cls(
            int(data["cycle"]),
            int(data["year"]),
            tuple(BudgetLine(b["source"], Decimal(b["amount_eur"])) for b in data["budget"]),
        )


def year_of(at: datetime) -> int:
    """The year a moment falls in, in the Netherlands (New Year's Eve at 23:30 UTC is the
    new year there)."""
    return at.astimezone(AMSTERDAM).year


def with_cycle(
    budgets: tuple[CycleBudget, ...], cycle: int, at: datetime, lines: Iterable[BudgetLine]
) -> tuple[CycleBudget, ...]:
    """`budgets` with the cycle's entry replaced (or added): the latest plan of a cycle is
    what it planned."""
    kept = tuple(b for b in budgets if b.cycle != cycle)
    return (*kept, CycleBudget(cycle, year_of(at), tuple(lines)))


def planned(budgets: Iterable[CycleBudget]) -> list[dict[str, Any]]:
    """What every cycle planned, summed per funding pot and year: `[{source, year,
    amount_eur}]`, by year, then pot."""
    sums: dict[tuple[int, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
    for budget in budgets:
        for line in budget.lines:
            sums[(budget.year, line.source)] += line.amount_eur
    return [
        {"source": source, "year": year, "amount_eur": str(amount)}
        for (year, source), amount in sorted(sums.items())
    ]
