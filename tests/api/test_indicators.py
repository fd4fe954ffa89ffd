"""Indicators that measure, over HTTP: a plan's indicator with unit, baseline and direction;
measurements over two cycles become a series with progress; residents and the figures on
opposite sides of the baseline are a divergence; what cannot be measured is refused."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Stack, endorse_by_round
from tests.api.test_contract import assert_error, decide, start

SAFE = {
    "name": "veiligheidsgevoel",
    "unit": "%",
    "baseline": {"value": 50, "at": "2024", "source": "Veiligheidsmonitor 2024"},
    "target": 70,
    "direction": "increase",
}
PLAN = {
    "type": "revise_plan",
    "rationale": "uit de wijkschouw",
    "description": "Verlichting en buurtpreventie in de Zuilense hofjes",
    "indicators": [SAFE, {"name": "lantaarns", "target": "12"}],
}


def measure(value: Any, source: str = "data") -> dict[str, Any]:
    return {
        "type": "record_finding",
        "text": f"gemeten: {value}",
        "source": source,
        "indicator": "veiligheidsgevoel",
        "value": value,
    }


async def cycle_of(stack: Stack, eid: str, *findings: tuple[str, dict[str, Any]]) -> Any:
    await endorse_by_round(stack, eid)
    await decide(stack, eid, {"type": "advance", "to": "act", "rationale": "onderschreven"})
    for who, body in findings:
        answer = await decide(stack, eid, body, who=who)
    await decide(stack, eid, {"type": "advance", "to": "evaluate", "rationale": "voorbij"})
    return answer


async def test_measurements_over_two_cycles_with_progress_and_a_divergence(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    planned = await decide(stack, eid, PLAN)
    safe, lamps = planned["experiment"]["indicators"]
    assert (safe["unit"], safe["direction"], safe["progress"], safe["series"]) == (
        "%",
        "increase",
        None,
        [],
    )
    assert safe["baseline"] == {"value": 50, "at": "2024", "source": "Veiligheidsmonitor 2024"}
    assert lamps == {
        "name": "lantaarns",
        "unit": None,
        "baseline": None,
        "target": "12",
        "direction": None,
        "series": [],
        "progress": None,
        "divergence": None,
    }
    assert planned["experiment"]["plan"]["indicators"][1] == {"name": "lantaarns", "target": "12"}

    answer = await cycle_of(
        stack, eid, ("resident", measure("40", "residents")), ("pm", measure(60))
    )
    (safe, _) = answer["experiment"]["indicators"]
    assert [(m["cycle"], m["value"], m["source"]) for m in safe["series"]] == [
        (1, 40, "residents"),
        (1, 60, "data"),
    ]
    assert safe["progress"] == 0.5
    assert safe["divergence"] == {"cycle": 1, "residents": 40, "figures": 60, "baseline": 50}

    await decide(stack, eid, {"type": "advance", "to": "learn", "rationale": "besproken"})
    await decide(stack, eid, {"type": "record_lesson", "text": "Licht alleen is niet genoeg."})
    await decide(stack, eid, {"type": "advance", "to": "plan", "rationale": "cyclus 2"})
    answer = await cycle_of(
        stack, eid, ("resident", measure("58,5", "residents")), ("pm", measure(66, "professionals"))
    )
    (safe, _) = answer["experiment"]["indicators"]
    assert [(m["cycle"], m["value"]) for m in safe["series"]] == [
        (1, 40),
        (1, 60),
        (2, 58.5),
        (2, 66),
    ]
    assert safe["progress"] == 0.8
    assert safe["divergence"]["cycle"] == 1, "in cycle 2 they agree; cycle 1's stays on record"
    shown = await stack.client.get(
        f"/v1/experiments/{eid}",
        params={"min_position": answer["position"]},
        headers=stack.auth("evaluator"),
    )
    assert shown.json()["indicators"][0]["series"] == safe["series"], "the read model agrees"


async def test_what_cannot_be_measured_is_refused_and_nothing_stored(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    for indicator, field in (
        ({**SAFE, "target": "veel"}, "indicators[0]"),
        ({**SAFE, "direction": "decrease"}, "indicators[0]"),
        ({**SAFE, "baseline": {"value": 50, "at": "ooit", "source": "CBS"}}, "indicators[0]"),
        ({**SAFE, "baseline": {"value": "veel", "at": "2024", "source": "CBS"}}, "indicators[0]"),
        ({**SAFE, "direction": "omhoog"}, "indicators[0].direction"),
    ):
        refused = await stack.client.post(
            f"/v1/experiments/{eid}/decisions",
            json={**PLAN, "indicators": [indicator]},
            headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
        )
        error = assert_error(refused, 422, "invalid_input")
        assert error["field"].startswith(field), error
    await decide(stack, eid, PLAN)
    await endorse_by_round(stack, eid)
    await decide(stack, eid, {"type": "advance", "to": "act", "rationale": "onderschreven"})
    for body, status, code in (
        (measure("veel"), 422, "invalid_input"),
        (measure(True), 422, "invalid_input"),
        ({**measure(5), "indicator": "geluk"}, 409, "unknown_indicator"),
    ):
        refused = await stack.client.post(
            f"/v1/experiments/{eid}/decisions", json=body, headers=stack.auth("pm")
        )
        assert_error(refused, status, code)
    last = await decide(stack, eid, measure(55))
    assert [m["value"] for m in last["experiment"]["indicators"][0]["series"]] == [55]
