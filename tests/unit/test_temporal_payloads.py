"""The fast `json/plain` converter reads and writes what Temporal's default converter does."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from domain.answers import DecisionAnswer
from services.infra.temporal_payloads import DATA_CONVERTER
from workflows.delivery import AttemptInput, DeliveryInput
from workflows.payloads import DecisionInput, ExperimentInput, LoadOutput, RecordInput
from workflows.programme_payloads import ProgrammeInput
from workflows.reminder import ReminderPlan

FAST = DATA_CONVERTER.payload_converter
DEFAULT = DataConverter.default.payload_converter

EXPERIMENT = {
    "id": "e1",
    "title": "Samen warm de winter door — één plan",
    "version": 3,
    "budget": [{"source": "wmo", "amount_eur": 100.5}],
    "endorsement": None,
    "closed": False,
}
PAYLOADS: list[Any] = [
    ExperimentInput("e1", EXPERIMENT, ["d1", "d2"], 14),
    ExperimentInput("e1"),
    DecisionInput({"type": "revise_plan", "payload": {"indicators": [{"target": 10}]}}),
    RecordInput("e1", {"type": "advance"}, "2026-12-05T03:00:00+00:00"),
    LoadOutput(None, []),
    DecisionAnswer("d1", EXPERIMENT, 42, repeated=True, fingerprint="abc"),
    DeliveryInput("x"),
    AttemptInput("x", 2, None),
    ProgrammeInput("p1", {"period": {"from": 2026}}, ["a"]),
    ReminderPlan("digest", "prs_1", "2026-12-06T07:00:00+00:00"),
]


@pytest.mark.parametrize("value", PAYLOADS, ids=lambda v: type(v).__name__)
def test_each_payload_reads_back_the_same_whichever_converter_wrote_it(value: Any) -> None:
    for writer in (FAST, DEFAULT):
        for reader in (FAST, DEFAULT):
            [payload] = writer.to_payloads([value])
            assert payload.metadata["encoding"] == b"json/plain"
            [back] = reader.from_payloads([payload], [type(value)])
            assert back == value


def test_fields_a_newer_payload_adds_are_ignored() -> None:
    [payload] = DEFAULT.to_payloads([{"decision": {"type": "x"}, "added_later": 1}])
    assert FAST.from_payloads([payload], [DecisionInput]) == [DecisionInput({"type": "x"})]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ({"decision": "not an object"}, DecisionInput),
        ({"experiment_id": 7, "decision": {}, "at": "t"}, RecordInput),
        ({"delivery_id": "x", "attempt": "2", "next_in": None}, AttemptInput),
        ({"state": None, "decision_ids": ["a", 3]}, LoadOutput),
        (["a list"], DecisionInput),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_as_by_the_default(value: Any, hint: type) -> None:
    [payload] = DEFAULT.to_payloads([value])
    with pytest.raises(TypeError):
        DEFAULT.from_payloads([payload], [hint])
    with pytest.raises(TypeError):
        FAST.from_payloads([payload], [hint])


def test_a_missing_field_without_default_is_refused() -> None:
    [payload] = DEFAULT.to_payloads([{"experiment_id": "e1"}])
    with pytest.raises(TypeError):
        FAST.from_payloads([payload], [RecordInput])


@dataclass
class Unusual:
    huge: int
    tags: set[str]


def test_what_orjson_cannot_write_goes_the_default_way() -> None:
    value = Unusual(2**70, {"a"})
    [payload] = FAST.to_payloads([value])
    assert FAST.from_payloads([payload], [Unusual]) == [value]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_any_json_value_travels_as_with_the_default(value: Any) -> None:
    [fast] = FAST.to_payloads([value])
    [default] = DEFAULT.to_payloads([value])
    assert DEFAULT.from_payloads([fast]) == DEFAULT.from_payloads([default]) == [value]
    assert FAST.from_payloads([default]) == [value]


@pytest.mark.parametrize("value", PAYLOADS, ids=lambda v: type(v).__name__)
def test_each_payload_is_written_as_the_default_writes_it(value: Any) -> None:
    """The same JSON document: no field left out or added (orjson writes a dataclass from its
    attributes, the default from its fields)."""
    [fast] = FAST.to_payloads([value])
    [default] = DEFAULT.to_payloads([value])
    assert json.loads(fast.data) == json.loads(default.data)


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_a_float_that_is_not_finite_is_written_as_the_default_writes_it(number: float) -> None:
    value = {"share": number, "note": None}
    [fast] = FAST.to_payloads([value])
    [default] = DEFAULT.to_payloads([value])
    assert fast.data == default.data


@pytest.mark.parametrize(
    "data",
    [
        b'{"n":123456789012345678901234567890}',
        b'{"n":-9999999999999999999,"at":"2026-12-05T05:41:02.142798+00:00"}',
        b'{"x":NaN}',
        b'{"s":"\\ud800"}',
    ],
    ids=["long integer", "nineteen digits", "NaN", "lone surrogate"],
)
def test_what_orjson_reads_otherwise_is_read_as_the_default_reads_it(data: bytes) -> None:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=data)
    ours, theirs = FAST.from_payloads([payload]), DEFAULT.from_payloads([payload])
    assert repr(ours) == repr(theirs)  # NaN is not equal to itself
