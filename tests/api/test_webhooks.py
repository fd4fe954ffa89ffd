"""Signed webhooks, sent the way any Standard Webhooks library sends them."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from services.infra.webhooks import sign
from tests.api.conftest import Stack, endorse_by_round
from tests.api.test_contract import PLAN, assert_error, decide, start


def delivery(
    secret: str, body: dict[str, Any], *, msg_id: str | None = None, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, raw)
    return raw.encode(), {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


@pytest.fixture(scope="module")
def survey(stack: Stack) -> str:
    return stack.integrations.create(f"survey-{uuid.uuid4().hex[:6]}", "utrecht")


def name_of(stack: Stack, secret: str) -> str:
    for item in stack.integrations.list():
        found = stack.integrations.get(item["name"])
        if found and secret in found.secrets:
            return str(item["name"])
    raise AssertionError("integration not found")


async def in_act(stack: Stack) -> str:
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    await endorse_by_round(stack, eid)
    await decide(stack, eid, {"type": "advance", "to": "act", "rationale": "gaan"})
    return str(eid)


async def test_a_signed_delivery_becomes_a_decision(stack: Stack, survey: str) -> None:
    eid = await in_act(stack)
    name = name_of(stack, survey)
    finding = {
        "type": "record_finding",
        "text": "72% van de bewoners tevreden",
        "source": "residents",
        "on_behalf_of": "bewonersenquête najaar 2026",
        "indicator": "huishoudens bezocht",
        "value": 140,
    }
    body, headers = delivery(survey, {"experiment_id": eid, "decision": finding})
    response = await stack.client.post(f"/v1/webhooks/{name}", content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decision_id"] == headers["webhook-id"]
    assert answer["experiment"]["resident_findings_this_cycle"] == 1
    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": answer["position"]},
        headers=stack.auth("evaluator"),
    )
    last = history.json()["items"][-1]
    assert (last["source"], last["actor"]["role"], last["decision_id"]) == (
        f"webhook:{name}",
        "integration",
        headers["webhook-id"],
    )

    # Integrations move stages too (a scheduler ending the act period).
    body, headers = delivery(
        survey,
        {
            "experiment_id": eid,
            "decision": {"type": "advance", "to": "evaluate", "rationale": "meetperiode voorbij"},
        },
    )
    moved = await stack.client.post(f"/v1/webhooks/{name}", content=body, headers=headers)
    assert moved.json()["experiment"]["stage"] == "evaluate"


async def test_twenty_identical_deliveries_at_once_are_one_decision(
    stack: Stack, survey: str
) -> None:
    eid = await in_act(stack)
    name = name_of(stack, survey)
    body, headers = delivery(
        survey,
        {
            "experiment_id": eid,
            "decision": {"type": "record_finding", "text": "enquête", "source": "data"},
        },
    )
    responses = await asyncio.gather(
        *(
            stack.client.post(f"/v1/webhooks/{name}", content=body, headers=headers)
            for _ in range(20)
        )
    )
    assert {r.status_code for r in responses} == {200}
    assert len({(r.json()["decision_id"], r.json()["position"]) for r in responses}) == 1
    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": responses[0].json()["position"]},
        headers=stack.auth("pm"),
    )
    assert [d["type"] for d in history.json()["items"]].count("record_finding") == 1


async def test_out_of_order_deliveries_are_refused_with_a_reason(stack: Stack, survey: str) -> None:
    eid = await in_act(stack)
    name = name_of(stack, survey)
    body, headers = delivery(
        survey,
        {
            "experiment_id": eid,
            "decision": {"type": "advance", "to": "learn", "rationale": "te vroeg"},
        },
    )
    response = await stack.client.post(f"/v1/webhooks/{name}", content=body, headers=headers)
    error = assert_error(response, 409, "invalid_transition")
    assert error["allowed"] == ["advance", "record_finding"]


async def test_bad_deliveries_are_refused(stack: Stack, survey: str) -> None:
    eid = await in_act(stack)
    name = name_of(stack, survey)
    payload = {
        "experiment_id": eid,
        "decision": {"type": "record_finding", "text": "x", "source": "data"},
    }
    body, headers = delivery(survey, payload)
    tampered = body.replace(b'"x"', b'"y"')
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=tampered, headers=headers),
        401,
        "invalid_signature",
    )
    stale_body, stale = delivery(survey, payload, at=datetime.now(UTC) - timedelta(minutes=6))
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=stale_body, headers=stale), 401
    )
    future_body, future = delivery(survey, payload, at=datetime.now(UTC) + timedelta(minutes=6))
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=future_body, headers=future), 401
    )
    assert_error(await stack.client.post("/v1/webhooks/nobody", content=body, headers=headers), 401)
    assert_error(
        await stack.client.post("/v1/webhooks/Not%20A%20Name", content=body, headers=headers), 401
    )
    unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=body, headers=unsigned), 401
    )
    other_secret = stack.integrations.create(f"other-{uuid.uuid4().hex[:6]}", "utrecht")
    forged_body, forged = delivery(other_secret, payload)
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=forged_body, headers=forged), 401
    )

    not_json, headers = delivery(survey, payload)
    broken = b"{" + not_json
    headers["webhook-signature"] = sign(
        survey, headers["webhook-id"], int(headers["webhook-timestamp"]), broken
    )
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=broken, headers=headers), 422
    )
    wrong_shape, headers = delivery(survey, {"experiment": eid})
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=wrong_shape, headers=headers), 422
    )


async def test_another_municipality_is_out_of_reach(stack: Stack) -> None:
    secret = stack.integrations.create(f"zwolle-{uuid.uuid4().hex[:6]}", "zwolle")
    eid = await in_act(stack)  # an experiment of utrecht
    body, headers = delivery(
        secret,
        {
            "experiment_id": eid,
            "decision": {"type": "record_finding", "text": "x", "source": "data"},
        },
    )
    assert_error(
        await stack.client.post(
            f"/v1/webhooks/{name_of(stack, secret)}", content=body, headers=headers
        ),
        404,
    )


async def test_rotation_keeps_the_old_secret_for_a_while_and_revocation_ends_all(
    stack: Stack,
) -> None:
    name = f"rotating-{uuid.uuid4().hex[:6]}"
    old = stack.integrations.create(name, "utrecht")
    new = stack.integrations.rotate(name)
    eid = await in_act(stack)
    for secret in (old, new):
        body, headers = delivery(
            secret,
            {
                "experiment_id": eid,
                "decision": {"type": "record_finding", "text": secret[-6:], "source": "data"},
            },
        )
        assert (
            await stack.client.post(f"/v1/webhooks/{name}", content=body, headers=headers)
        ).status_code == 200
    leaked = new
    stack.integrations.rotate(name, grace=timedelta(0))
    assert stack.integrations.get(name).secrets[1:] == ()  # type: ignore[union-attr]
    body, headers = delivery(
        leaked,
        {
            "experiment_id": eid,
            "decision": {"type": "record_finding", "text": "late", "source": "data"},
        },
    )
    assert_error(
        await stack.client.post(f"/v1/webhooks/{name}", content=body, headers=headers), 401
    )
    stack.integrations.revoke(name)
    assert stack.integrations.get(name) is None
