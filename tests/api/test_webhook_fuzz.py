"""Hypothesis throws odd deliveries at the webhook endpoint: no 5xx, and nothing is stored
from a delivery that is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.bootstrap import prepare_stores
from services.infra.webhooks import sign
from tests.api.conftest import round_of_one
from tests.conftest import LiveService

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
decision_fields = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["record_finding", "advance", "close", "start", "revise_plan", "nope"]
        )
    },
    optional={
        "text": st.text(max_size=200),
        "source": st.sampled_from(["residents", "data", "gossip"]),
        "to": st.sampled_from(["act", "evaluate", "learn", "plan", "moon"]),
        "rationale": st.text(max_size=100),
        "indicator": st.text(max_size=20),
        "value": json_values,
        "outcome": st.text(max_size=10),
    },
)


@pytest.fixture(scope="module")
def target(live_service: LiveService) -> Iterator[dict[str, Any]]:
    """An integration and an experiment in act, to aim deliveries at."""
    integrations = prepare_stores(live_service.runtime).integrations
    name = f"fuzz-{uuid.uuid4().hex[:6]}"
    secret = integrations.create(name, "utrecht")
    headers = {"Authorization": f"Bearer {live_service.tokens['pm']}"}
    resident = {"Authorization": f"Bearer {live_service.tokens['resident']}"}
    with httpx.Client(base_url=live_service.base_url, timeout=60) as client:
        started = client.post(
            "/v1/experiments",
            headers=headers,
            json={
                "neighbourhood": {"code": "WK1", "name": "Wijk", "kind": "wijk"},
                "title": "Fuzz",
                "question": "Houdt het?",
                "residents_agenda": "Bewoners vroegen erom.",
                "themes": ["safety"],
            },
        ).json()
        experiment_id = started["id"]
        for body in (
            {
                "type": "revise_plan",
                "rationale": "r",
                "description": "d",
                "indicators": [{"name": "i", "target": 1}],
            },
            round_of_one(),
            {"type": "endorse", "comment": "ja"},
            {"type": "advance", "to": "act", "rationale": "gaan"},
        ):
            who = resident if body["type"] == "endorse" else headers
            answer = client.post(
                f"/v1/experiments/{experiment_id}/decisions", headers=who, json=body
            )
            assert answer.status_code == 200, answer.text
        yield {"name": name, "secret": secret, "experiment_id": experiment_id, "client": client}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    payload=st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        decision_fields.map(lambda d: d),
    ),
    aim=st.sampled_from(["ours", "random", "garbage"]),
    signed=st.sampled_from(["right", "wrong", "stale", "none"]),
    # Header values travel as ASCII; an id with spaces or odd punctuation is still fair game.
    msg_id=st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40
    )
    .map(str.strip)
    .filter(bool),
)
def test_odd_deliveries_never_break_anything(
    target: dict[str, Any],
    live_service: LiveService,
    payload: Any,
    aim: str,
    signed: str,
    msg_id: str,
) -> None:
    client: httpx.Client = target["client"]
    if isinstance(payload, dict):
        experiment = {
            "ours": target["experiment_id"],
            "random": str(uuid.uuid4()),
            "garbage": "x;DROP",
        }[aim]
        body = json.dumps({"experiment_id": experiment, "decision": payload}).encode()
    else:
        body = payload
    timestamp = int(time.time()) - (600 if signed == "stale" else 0)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "content-type": "application/json",
    }
    if signed in ("right", "stale"):
        headers["webhook-signature"] = _signed(target["secret"], msg_id, timestamp, body)
    elif signed == "wrong":
        headers["webhook-signature"] = "v1,bm90IGEgc2lnbmF0dXJl"
    experiments = live_service.runtime.experiments
    before = experiments.max_position()
    try:
        response = client.post(f"/v1/webhooks/{target['name']}", content=body, headers=headers)
    except httpx.LocalProtocolError:
        return  # a header value httpx itself will not send
    assert response.status_code < 500, response.text
    assert "error" in response.json() or response.status_code == 200
    if response.status_code >= 400:
        assert experiments.max_position() == before, "a refused delivery stored something"
    if signed != "right":
        assert response.status_code == 401


def _signed(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The signature a sender computes over the raw bytes, text or not (wijklab's own `sign`
    signs text, as the Standard Webhooks libraries do)."""
    try:
        return sign(secret, msg_id, timestamp, body)
    except UnicodeDecodeError:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
        return "v1," + base64.b64encode(mac.digest()).decode()
