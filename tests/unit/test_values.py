"""Input checks: every malformed field is refused with a clear message naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.decisions import Decision
from domain.errors import InvalidInput
from domain.values import text
from tests.builders import PM, decision, start, start_payload


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"residents_agenda": ""}, "residents_agenda"),
        ({"residents_agenda": "   "}, "residents_agenda"),
        ({"residents_agenda": None}, "residents_agenda"),
        ({"title": 42}, "title"),
        ({"themes": []}, "themes"),
        ({"themes": ["sport"]}, "themes"),
        ({"themes": "health"}, "themes"),
        ({"neighbourhood": {"code": "WK 01", "name": "x", "kind": "wijk"}}, "neighbourhood.code"),
        ({"neighbourhood": {"code": "WK01", "name": "x", "kind": "stad"}}, "neighbourhood.kind"),
        ({"neighbourhood": "Overvecht"}, "neighbourhood"),
        ({"act_days": 0}, "act_days"),
        ({"act_days": 4000}, "act_days"),
        ({"act_days": "90"}, "act_days"),
        ({"act_days": True}, "act_days"),
        ({"question": "x" * 20_001}, "question"),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_bad_start_fields(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        start(**overrides)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("revise_plan", {"description": ""}, "description"),
        ("revise_plan", {"description": "p", "indicators": [{"name": "a"}]}, "indicators[0]"),
        ("revise_plan", {"description": "p", "indicators": "a"}, "indicators"),
        (
            "revise_plan",
            {"description": "p", "indicators": [{"name": "a", "target": 1}] * 2},
            "indicators",
        ),
        (
            "revise_plan",
            {"description": "p", "budget": [{"source": "w", "amount_eur": -1}]},
            "budget[0]",
        ),
        (
            "revise_plan",
            {"description": "p", "budget": [{"source": "w", "amount_eur": "NaN"}]},
            "budget[0]",
        ),
        (
            "revise_plan",
            {"description": "p", "budget": [{"source": "w", "amount_eur": "veel"}]},
            "budget[0]",
        ),
        (
            "revise_plan",
            {"description": "p", "budget": [{"source": "", "amount_eur": 1}]},
            "budget[0].source",
        ),
        ("advance", {"to": "done"}, "to"),
        ("advance", {}, "to"),
        ("record_finding", {"text": "x", "source": "gossip"}, "source"),
        ("record_finding", {"text": "", "source": "data"}, "text"),
        ("record_finding", {"text": "x", "source": "data", "value": [1]}, "value"),
        ("record_lesson", {"text": "x", "themes": ["sport"]}, "themes"),
        ("close", {"outcome": "forgotten"}, "outcome"),
    ],
)
def test_bad_decision_fields(kind: str, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decision(kind, **fields)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": "demolish"}, "type"),
        ({"rationale": ""}, "rationale"),
        ({"decision_id": ""}, "decision_id"),
        ({"decision_id": "has space"}, "decision_id"),
        ({"decision_id": "x" * 201}, "decision_id"),
        ({"source": "email"}, "source"),
        ({"payload": []}, "payload"),
    ],
)
def test_bad_decision_envelope(changes: dict[str, Any], field: str) -> None:
    fields: dict[str, Any] = {
        "decision_id": "d-1",
        "type": "advance",
        "actor": PM,
        "rationale": "omdat",
        "source": "api",
        "payload": {"to": "act"},
    }
    fields.update(changes)
    with pytest.raises(InvalidInput) as refused:
        Decision.parse(**fields)
    assert refused.value.field == field


def test_start_takes_the_residents_agenda_as_its_rationale() -> None:
    d = start()
    assert d.rationale == start_payload()["residents_agenda"]


def test_findings_and_lessons_need_no_separate_rationale() -> None:
    assert decision("record_lesson", rationale="", text="les").rationale == ""


def test_budget_is_kept_exact_to_the_cent() -> None:
    d = decision("revise_plan", description="p", budget=[{"source": "w", "amount_eur": 0.1}])
    assert d.payload["budget"][0]["amount_eur"] == "0.10"
    assert Decimal(d.payload["budget"][0]["amount_eur"]) == Decimal("0.10")


def test_text_is_stored_verbatim_apart_from_surrounding_space() -> None:
    odd = "  Bewoners 🏠 zeggen: '; DROP TABLE x; --  "
    assert decision("record_lesson", text=odd).payload["text"] == odd.strip()


@given(st.text())
def test_text_is_either_refused_or_storable(value: str) -> None:
    try:
        checked = text(value, "field", required=False)
    except InvalidInput:
        return
    checked.encode("utf-8")  # what the event store will do with it


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(InvalidInput):
        text("caf\ud800", "field")
