"""A person named in a decision is registered only when the decision is accepted: a refused
one leaves no name or contact behind, through the API or a webhook."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Stack
from tests.api.test_contract import PLAN, decide, start
from tests.api.test_webhooks import delivery, in_act


async def people(stack: Stack) -> list[dict[str, Any]]:
    answer = await stack.client.get("/v1/people", headers=stack.auth("admin"))
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def finding(name: str) -> dict[str, Any]:
    return {
        "type": "record_finding",
        "text": "zij vertelde over de kou in huis",
        "source": "professionals",
        "person": {"name": name, "contact": f"{name.split()[0].lower()}@example.nl"},
    }


async def test_a_refused_decision_registers_nobody(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    before = await people(stack)
    name = f"Noor {uuid.uuid4().hex[:6]}"
    refused = await stack.client.post(
        f"/v1/experiments/{eid}/decisions", json=finding(name), headers=stack.auth("pm")
    )
    assert refused.status_code == 409, refused.text
    lesson = {**finding(name), "type": "record_lesson"}
    assert (
        await stack.client.post(
            f"/v1/experiments/{eid}/decisions", json=lesson, headers=stack.auth("pm")
        )
    ).status_code == 409
    secret = stack.integrations.create(f"named-{uuid.uuid4().hex[:6]}", "utrecht")
    integration = next(
        i["name"]
        for i in stack.integrations.list()
        if secret in stack.integrations.get(i["name"]).secrets  # type: ignore[union-attr]
    )
    raw, headers = delivery(secret, {"experiment_id": eid, "decision": finding(name)})
    hook = await stack.client.post(f"/v1/webhooks/{integration}", content=raw, headers=headers)
    assert hook.status_code == 409, hook.text
    after = await people(stack)
    assert len(after) == len(before)
    assert name not in str(after)


async def test_an_accepted_decision_keeps_the_person_it_names(stack: Stack) -> None:
    eid = await in_act(stack)
    before = await people(stack)
    name = f"Sem {uuid.uuid4().hex[:6]}"
    answer = await decide(stack, eid, finding(name))
    person_id = next(
        d["payload"]["person"]["id"]
        for d in (
            await stack.client.get(
                f"/v1/experiments/{eid}/decisions",
                params={"min_position": answer["position"]},
                headers=stack.auth("pm"),
            )
        ).json()["items"]
        if d["type"] == "record_finding"
    )
    after = await people(stack)
    assert len(after) == len(before) + 1
    assert [p["name"] for p in after if p["person_id"] == person_id] == [name]
    # Named again in a refused decision: the person stays, for the first decision holds them.
    await decide(
        stack, eid, {"type": "record_finding", "text": "ja", "source": "residents"}, who="resident"
    )
    await decide(stack, eid, {"type": "advance", "to": "evaluate", "rationale": "klaar"})
    await decide(stack, eid, {"type": "advance", "to": "learn", "rationale": "klaar"})
    refused = await stack.client.post(
        f"/v1/experiments/{eid}/decisions", json=finding(name), headers=stack.auth("pm")
    )
    assert refused.status_code == 409
    assert [p["name"] for p in await people(stack) if p["person_id"] == person_id] == [name]
