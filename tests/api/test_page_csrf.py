"""Forms on the pages are accepted only from this site and with the token of the visitor's
own session: a token an attacker chose, another session's token, or a post from another
site changes nothing."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from fastapi import Request, Response

from services.ui import cookies
from tests.api.conftest import Stack, open_session


async def page_token(stack: Stack, who: str) -> str:
    stack.client.cookies.clear()
    await open_session(stack, who)
    page = await stack.client.get("/experiments")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)


def start_form(csrf: str, title: str) -> dict[str, Any]:
    return {
        "csrf": csrf,
        "nonce": uuid.uuid4().hex,
        "neighbourhood_code": "WK034401",
        "neighbourhood_name": "Overvecht",
        "neighbourhood_kind": "wijk",
        "title": title,
        "question": "Helpt het?",
        "residents_agenda": "Bewoners vroegen erom.",
        "themes": ["energy_transition"],
    }


async def titles(stack: Stack, after: httpx.Response | None = None) -> list[str]:
    """The titles the read models show, once they show the write `after` redirected to."""
    params: dict[str, Any] = {"limit": 200}
    if after is not None:
        params["min_position"] = parse_qs(urlparse(after.headers["location"]).query)["p"][0]
    answer = await stack.client.get("/v1/experiments", params=params, headers=stack.auth("pm"))
    return [e["title"] for e in answer.json()["items"]]


async def test_a_token_the_attacker_chose_is_refused(stack: Stack) -> None:
    # The probe's case: the cookie and the field match each other, both chosen by the
    # attacker (a cookie planted by a neighbouring subdomain, say).
    stack.client.cookies.clear()
    await open_session(stack, "pm")
    stack.client.cookies.set("wijklab_csrf", "attackerchosen")
    title = f"Ondergeschoven {uuid.uuid4().hex[:6]}"
    forged = await stack.client.post("/experiments", data=start_form("attackerchosen", title))
    stack.client.cookies.clear()
    assert forged.status_code == 403
    assert title not in await titles(stack)


async def test_another_sessions_token_is_refused_and_the_own_accepted(stack: Stack) -> None:
    theirs = await page_token(stack, "resident")
    mine = await page_token(stack, "pm")
    assert theirs != mine
    title = f"Eigen {uuid.uuid4().hex[:6]}"
    refused = await stack.client.post("/experiments", data=start_form(theirs, title))
    assert refused.status_code == 403
    accepted = await stack.client.post(
        "/experiments", data=start_form(mine, title), follow_redirects=False
    )
    stack.client.cookies.clear()
    assert accepted.status_code == 303, accepted.text[:300]
    assert title in await titles(stack, accepted)


async def test_a_post_from_another_site_is_refused(stack: Stack) -> None:
    token = await page_token(stack, "pm")
    title = f"Van elders {uuid.uuid4().hex[:6]}"
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        answer = await stack.client.post(
            "/experiments", data=start_form(token, title), headers=headers
        )
        assert answer.status_code == 403, headers
    same = await stack.client.post(
        "/experiments",
        data=start_form(token, title),
        headers={"Origin": "http://wijklab.test", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    stack.client.cookies.clear()
    assert same.status_code == 303
    assert (await titles(stack, same)).count(title) == 1


def _request(environment: str) -> Request:
    app = SimpleNamespace(
        state=SimpleNamespace(
            services=SimpleNamespace(settings=SimpleNamespace(environment=environment))
        )
    )
    return Request({"type": "http", "app": app, "headers": [], "scheme": "https"})


def test_production_cookies_carry_the_host_prefix() -> None:
    assert cookies.name(_request("production"), cookies.SESSION) == "__Host-wijklab_session"
    assert cookies.name(_request("production"), cookies.FORM) == "__Host-wijklab_csrf"
    assert cookies.name(_request("development"), cookies.SESSION) == "wijklab_session"


def test_production_cookies_are_secure_for_the_whole_host() -> None:
    response = Response()
    cookies.put(response, _request("production"), cookies.SESSION, "abc")
    header = response.headers["set-cookie"]
    assert header.startswith("__Host-wijklab_session=abc")
    for part in ("HttpOnly", "Path=/", "Secure", "SameSite=strict"):
        assert part.lower() in header.lower(), part
    assert "domain=" not in header.lower()
