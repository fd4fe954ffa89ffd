"""Indicators that measure: each plan indicator's measurements as a series over the cycles,
how far it has come from its baseline towards its target, and where residents' experience
and the figures part ways.

A finding that names an indicator and carries a number is a measurement. The **divergence**
rule is the manifest's point that residents' experience leads: when, on one indicator in one
cycle, what residents measured (a survey, a count of their own) and what the figures say
(data, professionals) lie on opposite sides of the baseline, that is not noise to average
away but a question for the learn stage: "bewoners ervaren het anders dan de cijfers".
Pure: the state keeps the measurements, this module reads them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from domain.values import FindingSource, Indicator

# Who speaks for the figures, against residents' own experience.
FIGURES = frozenset({FindingSource.DATA.value, FindingSource.PROFESSIONALS.value})


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured value of one indicator: in which cycle, when, from which source."""

    indicator: str
    cycle: int
    value: float
    at: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "cycle": self.cycle,
            "value": self.value,
            "at": self.at,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        return cls(
            data["indicator"], int(data["cycle"]), float(data["value"]), data["at"], data["source"]
        )


def progress(indicator: Indicator, series: Sequence[Measurement]) -> float | None:
    """The share of the way from baseline to target the latest measurement has come (0 at
    the baseline, 1 at the target; below 0 it went the wrong way, above 1 past the target);
    None without a baseline, a numeric target or a measurement."""
    target = indicator.target_value
    if indicator.baseline is None or target is None or not series:
        return None
    span = target - indicator.baseline.value
    if span == 0:
        return None
    share = (series[-1].value - indicator.baseline.value) / span
    return round(share, 4) if math.isfinite(share) else None


def _side(value: float, baseline: float) -> int:
    return (value > baseline) - (value < baseline)


@dataclass(frozen=True, slots=True)
class Divergence:
    """In `cycle`, residents' latest measurement and the figures' latest lie on opposite
    sides of the baseline."""

    cycle: int
    residents: float
    figures: float
    baseline: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "residents": self.residents,
            "figures": self.figures,
            "baseline": self.baseline,
        }


def divergences(indicator: Indicator, series: Sequence[Measurement]) -> list[Divergence]:
    """Every cycle in which residents and the figures point in opposite directions against
    the indicator's baseline, oldest first (none without a baseline)."""
    if indicator.baseline is None:
        return []
    base = indicator.baseline.value
    latest: dict[tuple[int, bool], float] = {}
    for one in series:  # in the order they were taken: a later one replaces an earlier
        latest[(one.cycle, one.source in FIGURES)] = one.value
    found = []
    for cycle in sorted({cycle for cycle, _ in latest}):
        residents, figures = latest.get((cycle, False)), latest.get((cycle, True))
        if residents is None or figures is None:
            continue
        if _side(residents, base) * _side(figures, base) < 0:
            found.append(Divergence(cycle, residents, figures, base))
    return found


def report(
    indicators: Iterable[Indicator], measurements: Sequence[Measurement]
) -> list[dict[str, Any]]:
    """Each indicator with its series, progress and latest divergence: the experiment
    answer's `indicators`."""
    found = []
    for indicator in indicators:
        series = [m for m in measurements if m.indicator == indicator.name]
        diverging = divergences(indicator, series)
        heading = indicator.heading
        found.append(
            {
                "name": indicator.name,
                "unit": indicator.unit,
                "baseline": indicator.baseline.to_dict() if indicator.baseline else None,
                "target": indicator.target,
                "direction": heading.value if heading else None,
                "series": [
                    {"cycle": m.cycle, "value": m.value, "at": m.at, "source": m.source}
                    for m in series
                ],
                "progress": progress(indicator, series),
                "divergence": diverging[-1].to_dict() if diverging else None,
            }
        )
    return found
