"""JSON nested too deeply — in a cursor a client sends back, or a signed webhook body — is the
client's error (422), not the server's (500)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from tests.api.conftest import Stack, open_session, projected
from tests.api.test_webhooks import delivery, in_act

NESTED = "[" * 1000 + "]" * 1000
DEEP_CURSOR = base64.urlsafe_b64encode(NESTED.encode()).decode().rstrip("=")
LONG_CURSOR = base64.urlsafe_b64encode(json.dumps([1] * 400).encode()).decode()


@pytest.mark.parametrize("cursor", [DEEP_CURSOR, LONG_CURSOR], ids=["deep", "long"])
async def test_every_paginated_read_refuses_a_cursor_it_did_not_hand_out(
    stack: Stack, cursor: str
) -> None:
    eid = await in_act(stack)
    await projected(stack, eid)
    for who, path in (
        ("pm", "/v1/experiments"),
        ("pm", f"/v1/experiments/{eid}/decisions"),
        ("resident", "/v1/lessons"),
        ("admin", "/v1/access-records"),
    ):
        answer = await stack.client.get(path, params={"cursor": cursor}, headers=stack.auth(who))
        assert answer.status_code == 422, (path, answer.status_code, answer.text[:200])
        assert answer.json()["error"]["field"] == "cursor"
    await open_session(stack, "pm")
    try:
        for path in ("/experiments", "/lessons"):
            page = await stack.client.get(path, params={"cursor": cursor})
            assert page.status_code == 422, (path, page.status_code)
            assert "<html" in page.text
    finally:
        stack.client.cookies.clear()


async def test_a_signed_webhook_body_nested_too_deeply_is_refused(stack: Stack) -> None:
    eid = await in_act(stack)
    secret = stack.integrations.create("nesting-probe", "utrecht")
    raw, headers = delivery(secret, {"experiment_id": eid, "decision": {"type": "advance"}})
    deep = raw.replace(b'"advance"', NESTED.encode())
    now = datetime.now(UTC)
    headers["webhook-timestamp"] = str(int(now.timestamp()))
    headers["webhook-signature"] = Webhook(secret).sign(headers["webhook-id"], now, deep.decode())
    answer = await stack.client.post("/v1/webhooks/nesting-probe", content=deep, headers=headers)
    assert answer.status_code == 422, answer.text[:300]
    assert answer.json()["error"]["code"] == "invalid_input"
