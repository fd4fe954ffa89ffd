"""Indicators that measure: progress from baseline to target, and the divergence rule —
residents' experience against the figures — table by table and as properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.indicators import Measurement, divergences, progress, report
from domain.values import Baseline, Direction, Indicator, number
from tests.builders import PM, RESIDENT, decision

BASE = Baseline(50.0, "2024", "CBS Kerncijfers wijken en buurten 2024")
SAFE = Indicator("veiligheidsgevoel", "70", "%", BASE, Direction.INCREASE)


def measured(cycle: int, value: float, source: str = "data", name: str = SAFE.name) -> Measurement:
    return Measurement(name, cycle, value, f"2026-0{cycle}-01T12:00:00+00:00", source)


R, D, P = "residents", "data", "professionals"

DIVERGENCE_CASES: list[tuple[str, Indicator, list[Measurement], list[int]]] = [
    ("residents below, figures above", SAFE, [measured(1, 40, R), measured(1, 60, D)], [1]),
    ("residents above, figures below", SAFE, [measured(1, 62, R), measured(1, 45, D)], [1]),
    ("both above the baseline", SAFE, [measured(1, 55, R), measured(1, 60, D)], []),
    ("both below", SAFE, [measured(1, 45, R), measured(1, 40, D)], []),
    ("residents at the baseline", SAFE, [measured(1, 50, R), measured(1, 60, D)], []),
    ("professionals are figures", SAFE, [measured(1, 40, R), measured(1, 60, P)], [1]),
    ("residents only", SAFE, [measured(1, 40, R), measured(1, 30, R)], []),
    ("different cycles", SAFE, [measured(1, 40, R), measured(2, 60, D)], []),
    (
        "a later measurement in the cycle replaces the earlier",
        SAFE,
        [measured(1, 40, R), measured(1, 60, D), measured(1, 55, R)],
        [],
    ),
    (
        "agreed in cycle 1, apart in cycle 2",
        SAFE,
        [measured(1, 55, R), measured(1, 60, D), measured(2, 45, R), measured(2, 65, D)],
        [2],
    ),
    (
        "without a baseline nothing to compare",
        Indicator("bereik", "200"),
        [measured(1, 10, R, "bereik"), measured(1, 300, D, "bereik")],
        [],
    ),
]


@pytest.mark.parametrize(
    ("indicator", "series", "cycles"),
    [pytest.param(i, s, c, id=name) for name, i, s, c in DIVERGENCE_CASES],
)
def test_divergence(indicator: Indicator, series: list[Measurement], cycles: list[int]) -> None:
    assert [d.cycle for d in divergences(indicator, series)] == cycles


PROGRESS_CASES: list[tuple[str, Indicator, list[Measurement], float | None]] = [
    ("half way up", SAFE, [measured(1, 60)], 0.5),
    ("there", SAFE, [measured(1, 70)], 1.0),
    ("past it", SAFE, [measured(1, 80)], 1.5),
    ("the wrong way", SAFE, [measured(1, 48)], -0.1),
    ("the latest counts", SAFE, [measured(1, 70), measured(2, 55)], 0.25),
    (
        "half way down",
        Indicator("klachten", "10", "per maand", Baseline(30, "2025-01-01", "meldingen")),
        [measured(1, 20, name="klachten")],
        0.5,
    ),
    ("nothing measured yet", SAFE, [], None),
    ("no baseline", Indicator("bereik", "200"), [measured(1, 10, name="bereik")], None),
    (
        "a target that is no number",
        Indicator("sfeer", "beter", baseline=None),
        [measured(1, 10, name="sfeer")],
        None,
    ),
    (
        "target at the baseline",
        Indicator("x", "50", baseline=BASE),
        [measured(1, 60, name="x")],
        None,
    ),
]


@pytest.mark.parametrize(
    ("indicator", "series", "expected"),
    [pytest.param(i, s, e, id=name) for name, i, s, e in PROGRESS_CASES],
)
def test_progress(indicator: Indicator, series: list[Measurement], expected: float | None) -> None:
    assert progress(indicator, series) == expected


values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(base=values, residents=values, figures=values)
@example(base=2.225073858507e-311, residents=0.0, figures=1.1277908257668886e-181)
def test_divergence_is_residents_and_figures_on_opposite_sides(
    base: float, residents: float, figures: float
) -> None:
    indicator = Indicator("x", "1", baseline=Baseline(base, "2024", "CBS"))
    series = [measured(1, residents, R, "x"), measured(1, figures, D, "x")]
    # Sides compared, not a product of differences (which underflows to 0 for tiny ones).
    apart = (residents > base > figures) or (residents < base < figures)
    assert bool(divergences(indicator, series)) == apart
    swapped = [measured(1, figures, R, "x"), measured(1, residents, D, "x")]
    assert bool(divergences(indicator, swapped)) == apart, "whichever side residents are on"


@given(base=values, target=values)
def test_progress_is_zero_at_the_baseline_and_one_at_the_target(base: float, target: float) -> None:
    if base == target:
        return
    indicator = Indicator("x", repr(target), baseline=Baseline(base, "2024", "CBS"))
    assert progress(indicator, [measured(1, base, name="x")]) == 0
    assert progress(indicator, [measured(1, target, name="x")]) == 1


def test_the_report_holds_series_progress_and_the_latest_divergence() -> None:
    series = [measured(1, 40, R), measured(1, 60, D), measured(2, 66, D)]
    (found,) = report([SAFE], series)
    assert found["direction"] == "increase"
    assert [m["value"] for m in found["series"]] == [40, 60, 66]
    assert found["progress"] == 0.8
    assert found["divergence"] == {"cycle": 1, "residents": 40, "figures": 60, "baseline": 50}
    (plain,) = report([Indicator("bereik", "200")], [])
    assert (plain["unit"], plain["baseline"], plain["direction"], plain["progress"]) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"name": "x", "target": "veel", "unit": "%"}, "target must be a number"),
        (
            {"name": "x", "target": 10, "direction": "increase",
             "baseline": {"value": 50, "at": "2024", "source": "CBS"}},
            "the other way",
        ),
        ({"name": "x", "target": 10, "direction": "sideways"}, "direction"),
        ({"name": "x", "target": 10, "baseline": {"value": "veel", "at": "2024", "source": "CBS"}},
         "value must be a number"),
        ({"name": "x", "target": 10, "baseline": {"value": 1, "at": "vorig jaar", "source": "CBS"}},
         "a date"),
        ({"name": "x", "target": 10, "baseline": {"value": 1, "at": "2024-02-30", "source": "CBS"}},
         "not a date"),
        ({"name": "x", "target": 10, "baseline": {"value": 1, "at": "2024"}}, "source"),
        ({"name": "x", "target": 10, "baseline": 5}, "value, at and source"),
        ({"name": "x", "target": 10, "unit": "m" * 41}, "unit"),
    ],
)  # fmt: skip
def test_an_indicator_that_cannot_measure_is_refused(raw: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Indicator.parse(raw, "indicators[0]")
    assert says in refused.value.message
    assert refused.value.field is not None
    assert refused.value.field.startswith("indicators[0]")


def test_version_one_indicators_stay_as_they_were() -> None:
    old = Indicator.parse({"name": "bereik", "target": "veel huishoudens"}, "indicators[0]")
    assert old.to_dict() == {"name": "bereik", "target": "veel huishoudens"}
    assert not old.measures
    new = Indicator.parse(
        {"name": "x", "target": "70", "unit": "%",
         "baseline": {"value": "50,5", "at": 2024, "source": "CBS"}},
        "indicators[0]",
    )  # fmt: skip
    assert new.to_dict()["baseline"] == {"value": 50.5, "at": "2024", "source": "CBS"}
    assert Indicator.from_dict(new.to_dict()) == new


@pytest.mark.parametrize("value", [True, "veel", "1.2.3", "", float("nan"), float("inf"), [1]])
def test_a_measurement_is_a_number(value: Any) -> None:
    with pytest.raises(InvalidInput):
        number(value, "value")
    with pytest.raises(InvalidInput) as refused:
        decision(
            "record_finding", RESIDENT, text="t", source="residents", indicator="x", value=value
        )
    assert refused.value.field == "value"


def test_numbers_as_people_type_them() -> None:
    assert [number(v, "value") for v in (3, 2.5, "12,5", " 7 ", "-0.25", ",5")] == [
        3.0, 2.5, 12.5, 7.0, -0.25, 0.5,
    ]  # fmt: skip
    free = decision("record_finding", PM, text="t", source="data", value="veel")
    assert free.payload["value"] == "veel", "a value without an indicator stays free text"


def test_numbers_past_any_measure_are_refused_and_progress_stays_finite() -> None:
    for value in (1e16, "-2e15", "1e300"):
        with pytest.raises(InvalidInput):
            number(value, "value")
    assert number("1e15", "value") == 1e15
    tiny = Indicator("x", "1e-320", baseline=Baseline(0, "2024", "CBS"))
    assert progress(tiny, [measured(1, 1, name="x")]) is None, "no infinite share"


def test_a_client_may_not_take_a_timers_decision_id() -> None:
    from domain.decisions import check_new_decision_id

    with pytest.raises(InvalidInput) as refused:
        check_new_decision_id("timer:report_due:2026")
    assert refused.value.field == "decision_id"
    assert check_new_decision_id("timers-are-fine") == "timers-are-fine"
