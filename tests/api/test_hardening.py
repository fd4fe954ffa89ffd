"""Hardening: rate limits on failed authentication and on webhooks (that no token reaches
the logs is checked on a real `wijklab dev`, in tests/integration/test_cli_dev.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from services.bootstrap import Services
from services.infra.rate_limits import RateLimits
from services.settings import Settings
from tests.api.conftest import Stack, open_session
from tests.api.test_contract import PLAN, decide, start
from tests.api.test_webhooks import delivery, in_act

FINDING = {"type": "record_finding", "text": "40 enquêtes terug", "source": "data"}


def services_of(stack: Stack) -> Services:
    app = stack.client._transport.app  # type: ignore[attr-defined]
    services: Services = app.state.services
    return services


@contextlib.contextmanager
def limits(stack: Stack, **settings: str) -> Iterator[None]:
    services = services_of(stack)
    before = services.rate_limits
    services.rate_limits = RateLimits(Settings(**settings))  # type: ignore[arg-type]
    try:
        yield
    finally:
        services.rate_limits = before


async def sign_in_form(stack: Stack, token: str) -> tuple[int, dict[str, str], str]:
    form = await stack.client.get("/sign-in")
    csrf = form.cookies.get("wijklab_csrf") or stack.client.cookies.get("wijklab_csrf")
    try:
        page = await stack.client.post("/sign-in", data={"token": token, "csrf": csrf})
    finally:
        stack.client.cookies.clear()
    return page.status_code, dict(page.headers), page.text


async def test_failed_authentication_is_throttled_per_client_and_valid_keys_go_through(
    stack: Stack,
) -> None:
    secret = stack.integrations.create(f"lock-{uuid.uuid4().hex[:6]}", "utrecht")
    name = next(
        i["name"]
        for i in stack.integrations.list()
        if secret in stack.integrations.get(i["name"]).secrets  # type: ignore[union-attr]
    )
    eid = await in_act(stack)
    with limits(stack, WIJKLAB_AUTH_FAILURE_LIMIT="3/minute"):
        for _ in range(3):
            bad = await stack.client.get(
                "/v1/experiments", headers={"Authorization": "Bearer wl_x"}
            )
            assert bad.status_code == 401
        # The fourth failure from this address waits ...
        locked = await stack.client.get("/v1/experiments", headers={"Authorization": "Bearer wl_y"})
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "too_many_failures"
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        status, headers, text = await sign_in_form(stack, "wl_guess")
        assert status == 429, "the sign-in page is limited like the API"
        assert 1 <= int(headers["retry-after"]) <= 60
        assert "Te veel mislukte pogingen" in text or "Too many failed" in text
        # ... while everyone behind it with a valid credential goes through.
        for who in ("pm", "zwolle", "evaluator"):
            ok = await stack.client.get("/v1/experiments", headers=stack.auth(who))
            assert ok.status_code == 200, who
        raw, signed = delivery(secret, {"experiment_id": eid, "decision": FINDING})
        assert (
            await stack.client.post(f"/v1/webhooks/{name}", content=raw, headers=signed)
        ).status_code == 200
        status, _, _ = await sign_in_form(stack, stack.tokens["pm"])
        assert status == 303


async def test_webhook_signature_failures_count_per_integration_apart_from_sign_ins(
    stack: Stack,
) -> None:
    secret = stack.integrations.create(f"sig-{uuid.uuid4().hex[:6]}", "utrecht")
    name = next(
        i["name"]
        for i in stack.integrations.list()
        if secret in stack.integrations.get(i["name"]).secrets  # type: ignore[union-attr]
    )
    eid = await in_act(stack)
    with limits(stack, WIJKLAB_AUTH_FAILURE_LIMIT="2/minute"):
        raw, signed = delivery(secret, {"experiment_id": eid, "decision": FINDING})
        forged = {**signed, "webhook-signature": "v1,AAAA"}
        answers = [
            (await stack.client.post(f"/v1/webhooks/{name}", content=raw, headers=forged))
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [401, 401, 429]
        assert "Retry-After" in answers[2].headers
        # People's sign-ins from the same address have a count of their own,
        bad = await stack.client.get("/v1/experiments", headers={"Authorization": "Bearer wl_x"})
        assert bad.status_code == 401
        # and the integration's genuine delivery still goes through.
        good = await stack.client.post(f"/v1/webhooks/{name}", content=raw, headers=signed)
        assert good.status_code == 200


async def test_webhook_deliveries_are_rate_limited_per_integration(stack: Stack) -> None:
    secret = stack.integrations.create(f"flood-{uuid.uuid4().hex[:6]}", "utrecht")
    name = next(
        i["name"]
        for i in stack.integrations.list()
        if secret in stack.integrations.get(i["name"]).secrets  # type: ignore[union-attr]
    )
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    with limits(stack, WIJKLAB_WEBHOOK_LIMIT="2/minute"):
        answers = []
        for _ in range(3):
            raw, headers = delivery(
                secret,
                {"experiment_id": eid, "decision": {"type": "endorse_plan", "rationale": "ja"}},
            )
            answers.append(
                await stack.client.post(f"/v1/webhooks/{name}", content=raw, headers=headers)
            )
        assert [a.status_code for a in answers][2] == 429
        assert answers[2].json()["error"]["code"] == "rate_limited"
        assert "Retry-After" in answers[2].headers


async def test_answers_with_personal_data_are_not_stored_and_https_is_pinned(
    stack: Stack,
) -> None:
    started = await start(stack)
    eid = started["id"]
    auth = stack.auth("pm")
    await open_session(stack, "pm")
    try:
        answers = [
            await stack.client.get(
                f"/v1/experiments/{eid}/decisions",
                params={"min_position": started["position"]},
                headers=auth,
            ),
            await stack.client.get(
                f"/v1/experiments/{eid}/decisions", headers={**auth, "Accept": "text/csv"}
            ),
            await stack.client.get(f"/experiments/{eid}"),
            await stack.client.get(f"/experiments/{eid}/decisions.csv"),
            await stack.client.get("/v1/people", headers=stack.auth("admin")),
        ]
    finally:
        stack.client.cookies.clear()
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-store", answer.url
        assert "camera=()" in answer.headers["permissions-policy"]
        assert "strict-transport-security" not in answer.headers, "plain HTTP: no HSTS"
    static = await stack.client.get("/static/style.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")
    secure = await stack.client.get("https://wijklab.test/v1/experiments", headers=auth)
    assert secure.headers["strict-transport-security"].startswith("max-age=31536000")
