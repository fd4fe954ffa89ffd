"""Hardening: rate limits on failed authentication and on webhooks (that no token reaches
the logs is checked on a real `wijklab dev`, in tests/integration/test_cli_dev.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from services.bootstrap import Services
from services.infra.rate_limits import RateLimits
from services.settings import Settings
from tests.api.conftest import Stack
from tests.api.test_contract import PLAN, decide, start
from tests.api.test_webhooks import delivery


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


async def test_failed_authentication_is_rate_limited_per_client(stack: Stack) -> None:
    with limits(stack, WIJKLAB_AUTH_FAILURE_LIMIT="3/minute"):
        for _ in range(3):
            bad = await stack.client.get(
                "/v1/experiments", headers={"Authorization": "Bearer wl_x"}
            )
            assert bad.status_code == 401
        # Even the right key is refused now: the client has to wait, whatever it sends.
        locked = await stack.client.get("/v1/experiments", headers=stack.auth("pm"))
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "too_many_failures"
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        form = await stack.client.get("/sign-in")
        csrf = form.cookies.get("wijklab_csrf") or stack.client.cookies.get("wijklab_csrf")
        try:
            page = await stack.client.post("/sign-in", data={"token": "wl_guess", "csrf": csrf})
        finally:
            stack.client.cookies.clear()
        assert page.status_code in (403, 429)
        assert page.status_code == 429, "the sign-in page is limited like the API"
        assert "Te veel mislukte pogingen" in page.text or "Too many failed" in page.text
    # Successful requests do not count.
    with limits(stack, WIJKLAB_AUTH_FAILURE_LIMIT="3/minute"):
        for _ in range(10):
            assert (
                await stack.client.get("/v1/experiments", headers=stack.auth("pm"))
            ).status_code == 200


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
