"""Subscriptions over the API: made by an admin with a secret shown once, listed and read
without it, renewed, deleted; refused — and nothing stored — for other roles, bad bodies,
receivers on private or loopback addresses, and another municipality's experiment."""

from __future__ import annotations

import uuid

import orjson

from services.stores.subscriptions import SubscriptionStore
from tests.api.conftest import Stack, experiment_body, open_session, wait_until
from tests.api.test_hardening import services_of
from tests.webhook_receiver import receiving

# A public address, written down, never called: every test deletes its subscription before
# a decision could be sent to it (traffic goes to 127.0.0.1 only).
PUBLIC = "https://93.184.216.34/wijklab"


def rows(stack: Stack) -> int:
    with stack.runtime.database.connect() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {stack.runtime.database.schema}.subscriptions"
        ).fetchone()
    assert row is not None
    return int(row[0])


def store(stack: Stack) -> SubscriptionStore:
    return services_of(stack).subscriptions


async def test_an_admin_subscribes_renews_the_secret_and_deletes(stack: Stack) -> None:
    made = await stack.client.post(
        "/v1/subscriptions",
        headers=stack.auth("admin"),
        json={"url": PUBLIC, "event_types": ["stage.overdue", "decision.recorded"]},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["decision.recorded", "stage.overdue"]
    assert body["status"] == "active"
    assert body["municipality"] == "utrecht"
    sid = body["id"]
    assert store(stack).signing_secrets(uuid.UUID(sid)) == (body["secret"],)
    with stack.runtime.database.connect() as conn:
        dump = str(
            conn.execute(f"SELECT * FROM {stack.runtime.database.schema}.subscriptions").fetchall()
        )
    assert body["secret"] not in dump, "kept encrypted"

    listed = await stack.client.get("/v1/subscriptions", headers=stack.auth("admin"))
    assert listed.status_code == 200
    assert sid in [s["id"] for s in listed.json()["items"]]
    assert "secret" not in listed.text
    one = await stack.client.get(f"/v1/subscriptions/{sid}", headers=stack.auth("admin"))
    assert one.json()["url"] == PUBLIC
    assert "secret" not in one.json()

    renewed = await stack.client.post(
        f"/v1/subscriptions/{sid}/rotation", headers=stack.auth("admin")
    )
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()["secret"]
    assert store(stack).signing_secrets(uuid.UUID(sid)) == (second, body["secret"])
    leaked = await stack.client.post(
        f"/v1/subscriptions/{sid}/rotation", headers=stack.auth("admin"), json={"immediate": True}
    )
    third = leaked.json()["secret"]
    assert store(stack).signing_secrets(uuid.UUID(sid)) == (third,), "the leaked one is gone"

    deleted = await stack.client.delete(f"/v1/subscriptions/{sid}", headers=stack.auth("admin"))
    assert deleted.status_code == 204
    gone = await stack.client.get(f"/v1/subscriptions/{sid}", headers=stack.auth("admin"))
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    assert store(stack).signing_secrets(uuid.UUID(sid)) == ()
    again = await stack.client.delete(f"/v1/subscriptions/{sid}", headers=stack.auth("admin"))
    assert again.status_code == 404


async def test_a_subscription_for_one_experiment_must_be_the_municipality_s(stack: Stack) -> None:
    started = await stack.client.post(
        "/v1/experiments", headers=stack.auth("zwolle"), json=experiment_body()
    )
    assert started.status_code == 201
    before = rows(stack)
    other = await stack.client.post(
        "/v1/subscriptions",
        headers=stack.auth("admin"),
        json={
            "url": PUBLIC,
            "event_types": ["decision.recorded"],
            "experiment_id": started.json()["id"],
        },
    )
    assert other.status_code == 422
    assert other.json()["error"]["field"] == "experiment_id"
    assert rows(stack) == before
    own = await stack.client.post(
        "/v1/experiments", headers=stack.auth("pm"), json=experiment_body()
    )
    narrowed = await stack.client.post(
        "/v1/subscriptions",
        headers=stack.auth("admin"),
        json={"url": PUBLIC, "event_types": ["stage.changed"], "experiment_id": own.json()["id"]},
    )
    assert narrowed.status_code == 201
    assert narrowed.json()["experiment_id"] == own.json()["id"]
    # Written down, never called: gone before anything could be sent to it.
    deleted = await stack.client.delete(
        f"/v1/subscriptions/{narrowed.json()['id']}", headers=stack.auth("admin")
    )
    assert deleted.status_code == 204


async def test_refusals_store_nothing(stack: Stack) -> None:
    before = rows(stack)
    good = {"url": PUBLIC, "event_types": ["decision.recorded"]}
    for who in ("pm", "resident", "evaluator", "partner", "integration"):
        refused = await stack.client.post("/v1/subscriptions", headers=stack.auth(who), json=good)
        assert refused.status_code == 403, who
        listed = await stack.client.get("/v1/subscriptions", headers=stack.auth(who))
        assert listed.status_code == 403, who
    for change, status, code in (
        ({"url": "ftp://93.184.216.34/"}, 422, "invalid_input"),
        ({"url": "https://gebruiker:geheim@93.184.216.34/"}, 422, "invalid_input"),
        ({"event_types": ["decision.deleted"]}, 422, "invalid_input"),
        ({"event_types": []}, 422, "invalid_input"),
        ({"url": 7}, 422, "invalid_input"),
        ({"secret": "whsec_eigen"}, 422, "invalid_input"),
        ({"url": "http://127.0.0.2:9000/hook"}, 422, "url_not_allowed"),
        ({"url": "http://10.0.0.5/hook"}, 422, "url_not_allowed"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, 422, "url_not_allowed"),
        ({"url": "http://[::1]:9000/hook"}, 422, "url_not_allowed"),
        ({"url": "http://[::ffff:127.0.0.2]/hook"}, 422, "url_not_allowed"),
        ({"url": "https://bestaat-niet.invalid/hook"}, 422, "url_not_allowed"),
    ):
        refused = await stack.client.post(
            "/v1/subscriptions", headers=stack.auth("admin"), json={**good, **change}
        )
        assert refused.status_code == status, (change, refused.text)
        assert refused.json()["error"]["code"] == code, (change, refused.text)
    assert rows(stack) == before
    # An allowed host (the tests' receivers listen on 127.0.0.1) is let through.
    allowed = await stack.client.post(
        "/v1/subscriptions",
        headers=stack.auth("admin"),
        json={**good, "url": "http://127.0.0.1:9/hook"},
    )
    assert allowed.status_code == 201, allowed.text
    # Another municipality's subscription is out of reach.
    zwolle_admin, _ = stack.keys.create("admin", "zwolle", "beheer zwolle")
    sid = allowed.json()["id"]
    for method, path in (
        ("GET", f"/v1/subscriptions/{sid}"),
        ("DELETE", f"/v1/subscriptions/{sid}"),
        ("POST", f"/v1/subscriptions/{sid}/rotation"),
    ):
        answer = await stack.client.request(
            method, path, headers={"Authorization": f"Bearer {zwolle_admin}"}
        )
        assert answer.status_code == 404, (method, path)
    assert store(stack).get(uuid.UUID(sid), "utrecht") is not None


async def test_a_decision_reaches_the_receiver_signed_and_logged(stack: Stack) -> None:
    with receiving([200]) as receiver:
        made = await stack.client.post(
            "/v1/subscriptions",
            headers=stack.auth("admin"),
            json={"url": receiver.url, "event_types": ["decision.recorded", "stage.changed"]},
        )
        assert made.status_code == 201, made.text
        receiver.secret = made.json()["secret"]
        sid = made.json()["id"]
        started = await stack.client.post(
            "/v1/experiments", headers=stack.auth("pm"), json=experiment_body()
        )
        eid = started.json()["id"]

        async def arrived() -> bool:
            return len(receiver.received) >= 1

        await wait_until(arrived, timeout=30)
        [got] = receiver.received
        assert got.verified, "signed by the Standard Webhooks specification"
        body = orjson.loads(got.body)
        assert body["type"] == "decision.recorded"
        assert body["data"]["experiment_id"] == eid
        assert body["data"]["decision_type"] == "start"
        assert "Samen warm" not in got.body.decode(), "no texts in the message"

        async def logged() -> bool:
            page = await stack.client.get(
                f"/v1/subscriptions/{sid}/deliveries", headers=stack.auth("admin")
            )
            items = page.json()["items"]
            return bool(items) and items[0]["status"] == "delivered"

        await wait_until(logged, timeout=30)
        page = await stack.client.get(
            f"/v1/subscriptions/{sid}/deliveries", headers=stack.auth("admin")
        )
        [delivery] = page.json()["items"]
        assert delivery["webhook_id"] == got.webhook_id
        assert [a["status_code"] for a in delivery["attempt_log"]] == [200]
        await open_session(stack, "admin")
        log_page = await stack.client.get(f"/admin/subscriptions/{sid}")
        assert log_page.status_code == 200
        assert got.webhook_id in log_page.text
        assert "afgeleverd" in log_page.text
        assert "HTTP 200" in log_page.text
        stack.client.cookies.clear()
        await open_session(stack, "pm")
        assert (await stack.client.get(f"/admin/subscriptions/{sid}")).status_code == 403
        stack.client.cookies.clear()

        # Delivered: not tried again; once failed, it is, under the same webhook-id.
        retry = f"/v1/subscriptions/{sid}/deliveries/{delivery['id']}/retry"
        refused = await stack.client.post(retry, headers=stack.auth("admin"))
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "delivery_not_failed"
        services_of(stack).deliveries.finish(uuid.UUID(delivery["id"]), "failed")
        again = await stack.client.post(retry, headers=stack.auth("admin"))
        assert again.status_code == 202, again.text

        async def twice() -> bool:
            return len(receiver.received) >= 2

        await wait_until(twice, timeout=30)
        assert receiver.received[1].webhook_id == got.webhook_id
        for path in (
            f"/v1/subscriptions/{sid}/deliveries/{uuid.uuid4()}/retry",
            f"/v1/subscriptions/{uuid.uuid4()}/deliveries/{delivery['id']}/retry",
        ):
            missing = await stack.client.post(path, headers=stack.auth("admin"))
            assert missing.status_code == 404
        other = await stack.client.get(
            f"/v1/subscriptions/{sid}/deliveries", headers=stack.auth("pm")
        )
        assert other.status_code == 403
