"""What waits on whom over HTTP: `GET /v1/actions` follows each experiment's cycle, filters by
role, overdue and the responsible manager (`assign_owner`), and keeps municipalities apart."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Stack, round_of_one, wait_until
from tests.api.test_contract import PLAN, assert_error, decide, start


async def actions(stack: Stack, who: str = "pm", **params: Any) -> list[dict[str, Any]]:
    answer = await stack.client.get("/v1/actions", params=params, headers=stack.auth(who))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def awaited_of(
    stack: Stack, eid: str, who: str = "pm", **params: Any
) -> list[tuple[str, str]]:
    found = []
    cursor = None
    while True:
        page = await stack.client.get(
            "/v1/actions",
            params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})},
            headers=stack.auth(who),
        )
        assert page.status_code == 200, page.text
        body = page.json()
        found += [(a["awaited"], a["from"]) for a in body["items"] if a["experiment_id"] == eid]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


async def shows(stack: Stack, eid: str, expected: list[tuple[str, str]], **params: Any) -> None:
    async def now() -> bool:
        return await awaited_of(stack, eid, **params) == expected

    await wait_until(now)


async def test_the_queue_follows_the_cycle_and_its_filters(stack: Stack) -> None:
    started = await start(stack)
    eid = started["id"]
    await shows(stack, eid, [("revise_plan", "programme_manager")])
    await decide(stack, eid, PLAN)
    await shows(stack, eid, [("open_endorsement", "programme_manager")])
    await decide(stack, eid, round_of_one() | {"threshold": {"count": 2}})
    await shows(stack, eid, [("endorse", "resident")])
    await shows(stack, eid, [], role="programme_manager")
    await shows(stack, eid, [("endorse", "resident")], role="resident", overdue="false")
    [item] = [
        a for a in await actions(stack, role="resident", limit=200) if a["experiment_id"] == eid
    ]
    assert item["title"] == started["title"]
    assert item["neighbourhood"] == started["neighbourhood"]
    assert item["overdue"] is False
    assert item["owner"] is None

    # The manager who started it is named responsible: it is theirs.
    history = await stack.client.get(f"/v1/experiments/{eid}/decisions", headers=stack.auth("pm"))
    manager = history.json()["items"][0]["actor"]["id"]
    await decide(
        stack, eid, {"type": "assign_owner", "rationale": "wijkmanager", "person_id": manager}
    )
    await shows(stack, eid, [("endorse", "resident")], mine="true")
    await shows(stack, eid, [], mine="true", role="programme_manager")


async def test_bad_queries_and_owners_are_refused(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    for params in ({"role": "king"}, {"overdue": "soms"}, {"cursor": "bm90LW91cnM"}, {"limit": 0}):
        answer = await stack.client.get("/v1/actions", params=params, headers=stack.auth("pm"))
        assert_error(answer, 422)
    zwolle_history = await stack.client.post(
        "/v1/experiments",
        json={
            "neighbourhood": {"code": "WK1", "name": "Wijk", "kind": "wijk"},
            "title": "Elders",
            "question": "?",
            "residents_agenda": "Bewoners vroegen erom.",
            "themes": ["health"],
        },
        headers=stack.auth("zwolle"),
    )
    assert zwolle_history.status_code == 201, zwolle_history.text
    other_town = (
        await stack.client.get(
            f"/v1/experiments/{zwolle_history.json()['id']}/decisions",
            params={"min_position": zwolle_history.json()["position"]},
            headers=stack.auth("zwolle"),
        )
    ).json()["items"][0]["actor"]["id"]
    for who, person, status, code in (
        ("pm", "prs_" + "f" * 32, 422, "person_id"),
        ("pm", "someone", 422, "person_id"),
        ("pm", other_town, 422, "person_id"),
        ("resident", other_town, 403, "role_not_allowed"),
    ):
        answer = await stack.client.post(
            f"/v1/experiments/{eid}/decisions",
            json={"type": "assign_owner", "rationale": "x", "person_id": person},
            headers={**stack.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )
        error = assert_error(answer, status)
        assert code in (error["code"], error.get("field")), error
    # Another municipality's queue holds none of this one's experiments.
    assert not [a for a in await actions(stack, "zwolle", limit=200) if a["experiment_id"] == eid]
