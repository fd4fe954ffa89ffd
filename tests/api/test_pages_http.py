"""The pages over plain HTTP: language, sign-in, CSRF and the error pages."""

from __future__ import annotations

from tests.api.conftest import Stack, open_session


async def test_dutch_by_default_english_on_request(stack: Stack) -> None:
    dutch = await stack.client.get("/sign-in")
    assert '<html lang="nl">' in dutch.text
    assert "Inloggen" in dutch.text
    english = await stack.client.get("/sign-in", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text
    chosen = await stack.client.get("/language/en?next=/sign-in", follow_redirects=False)
    assert chosen.status_code == 303
    assert "wijklab_lang=en" in chosen.headers["set-cookie"]
    away = await stack.client.get("/language/en?next=//evil.example", follow_redirects=False)
    assert away.headers["location"] == "/"
    # Browsers read a backslash as a slash and drop tabs and newlines: none of these may
    # leave the site.
    for sneaky in (
        "https://evil.example/",
        "/\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
    ):
        answer = await stack.client.get(
            "/language/en", params={"next": sneaky}, follow_redirects=False
        )
        assert answer.headers["location"] == "/", sneaky


async def test_sign_in_needs_the_form_token_and_a_valid_key(stack: Stack) -> None:
    stack.client.cookies.clear()
    form = await stack.client.get("/sign-in")
    csrf = stack.client.cookies.get("wijklab_csrf")
    assert csrf
    assert f'value="{csrf}"' in form.text
    forged = await stack.client.post(
        "/sign-in", data={"csrf": "other", "token": stack.tokens["pm"]}
    )
    assert forged.status_code == 403
    wrong = await stack.client.post("/sign-in", data={"csrf": csrf, "token": "wl_nope"})
    assert wrong.status_code == 401
    assert "onbekend of ingetrokken" in wrong.text
    signed_in = await stack.client.post(
        "/sign-in", data={"csrf": csrf, "token": stack.tokens["pm"]}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "wijklab_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    overview = await stack.client.get("/experiments")
    assert overview.status_code == 200, overview.text
    assert "Experiment starten" in overview.text
    post_without = await stack.client.post("/experiments", data={"title": "x"})
    assert post_without.status_code == 403
    stack.client.cookies.clear()


async def test_pages_need_a_session_and_the_right_role(stack: Stack) -> None:
    stack.client.cookies.clear()
    assert (await stack.client.get("/experiments", follow_redirects=False)).headers[
        "location"
    ] == "/sign-in"
    await open_session(stack, "admin")
    assert (await stack.client.get("/experiments")).status_code == 403
    await open_session(stack, "pm")
    missing = await stack.client.get("/experiments/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert "Niet gevonden" in missing.text
    bad_date = await stack.client.get(
        "/experiments/00000000-0000-4000-8000-000000000000?at=gisteren"
    )
    assert bad_date.status_code in (404, 422)
    stack.client.cookies.clear()
