"""Hostile and odd input: refused with the error shape and nothing stored, or stored verbatim."""

from __future__ import annotations

import uuid
from uuid import UUID

from tests.api.conftest import Stack
from tests.api.test_contract import assert_error, start
from tests.stored import stored_history


async def history_length(stack: Stack, experiment_id: str, position: int) -> int:
    answer = await stack.client.get(
        f"/v1/experiments/{experiment_id}/decisions",
        params={"limit": 200, "min_position": position},
        headers=stack.auth("pm"),
    )
    assert answer.status_code == 200, answer.text
    return len(answer.json()["items"])


async def test_deep_huge_and_broken_bodies_change_nothing(stack: Stack) -> None:
    started = await start(stack)
    eid = started["id"]
    path = f"/v1/experiments/{eid}/decisions"
    headers = {**stack.auth("pm"), "content-type": "application/json"}
    before = await history_length(stack, eid, started["position"])

    deep = (
        b'{"type": "revise_plan", "rationale": "x", "extra": '
        + b"[" * 200_000
        + b"]" * 200_000
        + b"}"
    )
    answer = await stack.client.post(path, content=deep, headers=headers)
    assert answer.status_code in (413, 422), answer.text
    assert "error" in answer.json()

    deep_objects = (
        b'{"type": "advance", "to": "act", "rationale": '
        + b'{"a": ' * 5000
        + b"1"
        + b"}" * 5000
        + b"}"
    )
    assert_error(await stack.client.post(path, content=deep_objects, headers=headers), 422)

    huge = {"type": "revise_plan", "rationale": "x" * 900_000, "description": "d"}
    assert_error(await stack.client.post(path, json=huge, headers=headers), 422, "invalid_input")

    broken = b'{"type": "revise_plan", "rationale": "caf\xe9 \xff\xfe", "description": "d"}'
    assert_error(await stack.client.post(path, content=broken, headers=headers), 422)

    lone_surrogate = b'{"type": "revise_plan", "rationale": "\\ud800", "description": "d"}'
    answer = await stack.client.post(path, content=lone_surrogate, headers=headers)
    assert answer.status_code == 422, answer.text

    stored = stored_history(stack.runtime.experiments, UUID(eid))
    assert len(stored) == before, "a refused request left a trace in the event store"


async def test_emoji_and_sql_looking_text_are_stored_verbatim(stack: Stack) -> None:
    started = await start(stack)
    eid = started["id"]
    odd = "Robert'); DROP TABLE decisions;-- 🌻👩🏽‍🌾 \u202e ZWJ‍ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 %s {0} $1 \\x00"  # noqa: RUF001
    body = {
        "type": "revise_plan",
        "rationale": odd,
        "description": odd,
        "indicators": [{"name": "bereik 🌻", "target": "'; SELECT 1; --"}],
    }
    answer = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json=body,
        headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["experiment"]["plan"]["description"] == odd
    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": answer.json()["position"]},
        headers=stack.auth("evaluator"),
    )
    taken = history.json()["items"][-1]
    assert taken["rationale"] == odd
    assert taken["payload"]["indicators"][0] == {"name": "bereik 🌻", "target": "'; SELECT 1; --"}
    csv = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        headers={**stack.auth("evaluator"), "Accept": "text/csv"},
    )
    assert odd in csv.text or odd.replace('"', '""') in csv.text
    found = await stack.client.get(
        "/v1/lessons", params={"q": "'); DROP TABLE lessons;--"}, headers=stack.auth("pm")
    )
    assert found.status_code == 200


async def test_sealed_looking_values_and_unknown_people_are_refused(stack: Stack) -> None:
    started = await start(stack)
    path = f"/v1/experiments/{started['id']}/decisions"
    headers = {**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex}
    await stack.client.post(
        path,
        json={"type": "revise_plan", "rationale": "r", "description": "d"},
        headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
    )
    forged = "sealed:v1:prs_" + "0" * 32 + ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    for body in (
        {
            "type": "endorse_plan",
            "rationale": "r",
            "person": {"id": "prs_" + "0" * 32, "name": forged},
        },
        {"type": "endorse_plan", "rationale": "r", "person": {"id": "prs_" + "1" * 32}},
    ):
        assert_error(await stack.client.post(path, json=body, headers=headers), 422)
    stored = stored_history(stack.runtime.experiments, UUID(started["id"]))
    assert [e.type for e in stored] == ["start", "revise_plan"]


async def test_forged_cursors_are_refused_on_every_paged_list(stack: Stack) -> None:
    """A cursor is opaque, but a client can still forge one: out of range, wrong type or
    garbage must be 422 on the cursor, never a database error."""
    import base64
    import json

    def forged(values: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    started = await start(stack)
    lists = [
        ("pm", f"/v1/experiments/{started['id']}/decisions"),
        ("pm", "/v1/lessons"),
        ("pm", "/v1/experiments"),
        ("admin", "/v1/access-records"),
    ]
    cursors = [forged([2**70]), forged([-1]), forged(["x"]), forged([1.5]), "%%%", forged({})]
    for role, path in lists:
        for cursor in cursors:
            params: dict[str, object] = {"cursor": cursor}
            if path == "/v1/lessons":
                params["q"] = "bewoners"
            if path.endswith("/decisions"):  # once the read models hold the experiment
                params["min_position"] = started["position"]
            answer = await stack.client.get(path, params=params, headers=stack.auth(role))
            assert_error(answer, 422, "invalid_input")
