"""Small holes a probe found: error texts that leak the validator, two 403 shapes, `true` read
as one day, `q=0` ignored, chunked bodies past the limit, and names that hide characters."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.api.middleware import MAX_BODY
from tests.api.conftest import Stack, experiment_body
from tests.api.test_contract import PLAN, start
from tests.api.test_webhooks import delivery, in_act


async def test_error_texts_say_what_is_wrong_without_the_validators_words(
    stack: Stack,
) -> None:
    bad = await stack.client.post(
        "/v1/experiments", json=experiment_body(themes="energy"), headers=stack.auth("pm")
    )
    secret = stack.integrations.create("texts-probe", "utrecht")
    raw, headers = delivery(secret, {"experiment_id": 5, "decision": []})
    hook = await stack.client.post("/v1/webhooks/texts-probe", content=raw, headers=headers)
    for answer in (bad, hook):
        assert answer.status_code == 422
        text = answer.text
        for leak in ("pydantic", "errors.pydantic.dev", "For further information", "Value error"):
            assert leak not in text, (leak, text)
        assert answer.json()["error"]["message"]


async def test_every_403_has_one_shape(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    by_permission = await stack.client.get(
        f"/v1/experiments/{eid}/state?at=2100-01-01T00:00:00Z", headers=stack.auth("resident")
    )
    by_role = await stack.client.post(
        f"/v1/experiments/{eid}/decisions", json=PLAN, headers=stack.auth("resident")
    )
    no_read = await stack.client.get("/v1/experiments", headers=stack.auth("integration"))
    for answer in (by_permission, by_role, no_read):
        assert answer.status_code == 403
        assert set(answer.json()["error"]) == {"code", "message"}, answer.json()


async def test_true_is_no_number_of_days(stack: Stack) -> None:
    for value in (True, "30", 1.5):
        answer = await stack.client.post(
            "/v1/experiments", json=experiment_body(act_days=value), headers=stack.auth("pm")
        )
        assert answer.status_code == 422, value
        assert "act_days" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        ("text/csv", True),
        ("text/csv;q=0", False),
        ("text/csv; q=0.0, application/json", False),
        ("application/json;q=0.5, text/csv", True),
        ("text/csv;q=0.4, application/json;q=0.9", False),
        ("*/*", False),
    ],
)
async def test_accept_is_read_with_its_quality_values(stack: Stack, accept: str, csv: bool) -> None:
    started = await start(stack)
    answer = await stack.client.get(
        f"/v1/experiments/{started['id']}/decisions",
        params={"min_position": started["position"]},
        headers={**stack.auth("pm"), "Accept": accept},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv" if csv else "application/json")


async def test_a_chunked_body_over_the_limit_is_413(stack: Stack) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(MAX_BODY // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    answer = await stack.client.post(
        "/v1/experiments",
        content=chunks(),
        headers={**stack.auth("pm"), "content-type": "application/json"},
    )
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413, answer.text[:200]
    assert answer.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "hidden", ["\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\u200f"], ids=repr
)
async def test_names_and_titles_refuse_invisible_and_direction_characters(
    stack: Stack, hidden: str
) -> None:
    title = f"Samen{hidden}warm"
    refused = await stack.client.post(
        "/v1/experiments", json=experiment_body(title=title), headers=stack.auth("pm")
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "title"
    neighbourhood = {"code": "WK034401", "name": f"Over{hidden}vecht", "kind": "wijk"}
    refused = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(neighbourhood=neighbourhood),
        headers=stack.auth("pm"),
    )
    assert refused.json()["error"]["field"] == "neighbourhood.name"
    listed = await stack.client.get("/v1/experiments?limit=200", headers=stack.auth("pm"))
    assert all(hidden not in e["title"] for e in listed.json()["items"])
    eid = await in_act(stack)
    named = {
        "type": "record_finding",
        "text": "verteld",
        "source": "residents",
        "person": {"name": f"Ans{hidden}Bakker"},
    }
    answer = await stack.client.post(
        f"/v1/experiments/{eid}/decisions", json=named, headers=stack.auth("pm")
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "person.name"
