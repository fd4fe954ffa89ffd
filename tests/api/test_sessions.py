"""Sessions live on the server: the cookie holds a random value (never an API key), and a
copied cookie stops working at sign-out, when the key it came from is revoked, when the
person is erased and when the session expires."""

from __future__ import annotations

import re
from datetime import timedelta

from services.bootstrap import Services
from services.stores.sessions import ABSOLUTE, IDLE
from tests.api.conftest import Stack, open_session
from tests.api.test_hardening import services_of


async def copied_cookie(stack: Stack, who: str) -> str:
    await open_session(stack, who)
    cookie = stack.client.cookies.get("wijklab_session")
    assert cookie
    stack.client.cookies.clear()
    return cookie


async def opens(stack: Stack, cookie: str) -> bool:
    """Whether a copy of this cookie, sent from anywhere, opens a page."""
    stack.client.cookies.clear()
    stack.client.cookies.set("wijklab_session", cookie)
    try:
        answer = await stack.client.get("/experiments", follow_redirects=False)
    finally:
        stack.client.cookies.clear()
    return answer.status_code == 200


async def test_the_cookie_is_a_random_session_id_and_rotates(stack: Stack) -> None:
    first = await copied_cookie(stack, "pm")
    second = await copied_cookie(stack, "pm")
    assert first != second
    for cookie in (first, second):
        assert cookie not in stack.tokens.values()
        assert not cookie.startswith("wl_")
    assert await opens(stack, first)
    assert await opens(stack, second)


async def test_sign_out_ends_a_copied_cookie_at_once(stack: Stack) -> None:
    await open_session(stack, "resident")
    cookie = stack.client.cookies.get("wijklab_session")
    page = await stack.client.get("/experiments")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    out = await stack.client.post("/sign-out", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303
    stack.client.cookies.clear()
    assert cookie
    assert not await opens(stack, cookie)


async def test_revoking_the_key_or_erasing_the_person_ends_their_sessions(
    stack: Stack,
) -> None:
    token, key_id = stack.keys.create("resident", "utrecht", "Femke", "femke@example.nl")
    stack.tokens["femke"] = token
    cookie = await copied_cookie(stack, "femke")
    assert await opens(stack, cookie)
    stack.keys.revoke(key_id)
    assert not await opens(stack, cookie), "a revoked key's sessions end at once"

    token, _ = stack.keys.create("resident", "utrecht", "Joost", "joost@example.nl")
    stack.tokens["joost"] = token
    cookie = await copied_cookie(stack, "joost")
    principal = stack.keys.authenticate(token)
    assert principal is not None
    assert principal.person_id
    erased = await stack.client.post(
        f"/v1/people/{principal.person_id}/erasure", headers=stack.auth("admin")
    )
    assert erased.status_code == 200
    assert not await opens(stack, cookie)
    sessions = services_of(stack).sessions
    with stack.runtime.database.connect() as conn:
        left = conn.execute(
            f"SELECT count(*) FROM {stack.runtime.database.schema}.sessions WHERE person_id = %s",
            (principal.person_id,),
        ).fetchone()
    assert left == (0,)
    assert sessions.end_person(principal.person_id) == 0


async def test_sessions_expire_after_twelve_hours_or_two_idle(stack: Stack) -> None:
    """Each session is moved back in time: started 12 hours ago (and used a minute ago), or
    last used just over 2 hours ago."""
    schema = stack.runtime.database.schema
    just_over = timedelta(seconds=1)
    for kind, started, last_seen in (
        ("absolute", ABSOLUTE + just_over, timedelta(minutes=1)),
        ("idle", IDLE + just_over, IDLE + just_over),
    ):
        cookie = await copied_cookie(stack, "pm")
        assert await opens(stack, cookie)
        with stack.runtime.database.connect() as conn:
            conn.execute(
                f"UPDATE {schema}.sessions SET created_at = now() - %(started)s, "
                "expires_at = now() - %(started)s + %(absolute)s, "
                "last_seen_at = now() - %(seen)s "
                "WHERE token_sha256 = encode(sha256(%(cookie)s), 'hex')",
                {
                    "started": started,
                    "absolute": ABSOLUTE,
                    "seen": last_seen,
                    "cookie": cookie.encode(),
                },
            )
        assert not await opens(stack, cookie), kind


async def test_keys_are_not_taken_on_the_sign_in_page_when_switched_off(stack: Stack) -> None:
    services: Services = services_of(stack)
    before = services.settings
    services.settings = before.model_copy(update={"pages_accept_keys_setting": False})
    try:
        stack.client.cookies.clear()
        form = await stack.client.get("/sign-in")
        assert 'name="token"' not in form.text
        csrf = stack.client.cookies.get("wijklab_csrf")
        answer = await stack.client.post(
            "/sign-in", data={"csrf": csrf, "token": stack.tokens["pm"]}, follow_redirects=False
        )
        assert answer.status_code == 403
        assert "wijklab_session" not in answer.headers.get("set-cookie", "")
    finally:
        services.settings = before
        stack.client.cookies.clear()


async def test_revoking_a_persons_access_ends_every_way_in_and_keeps_their_record(
    stack: Stack,
) -> None:
    token, _ = stack.keys.create("resident", "utrecht", "Lieke", "lieke@example.nl")
    stack.tokens["lieke"] = token
    cookie = await copied_cookie(stack, "lieke")
    principal = stack.keys.authenticate(token)
    assert principal is not None
    assert principal.person_id
    person = principal.person_id
    for who in ("resident", "zwolle", "evaluator"):
        refused = await stack.client.post(
            f"/v1/people/{person}/revocation", headers=stack.auth(who)
        )
        assert refused.status_code in (403, 404), who
    assert await opens(stack, cookie), "refused revocations changed nothing"
    done = await stack.client.post(f"/v1/people/{person}/revocation", headers=stack.auth("admin"))
    assert done.status_code == 200, done.text
    assert done.json()["keys"] == 1
    assert not await opens(stack, cookie)
    answer = await stack.client.get("/v1/experiments", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    found = await stack.client.get(f"/v1/people/{person}", headers=stack.auth("admin"))
    assert found.json()["name"] == "Lieke", "the person is not erased"
