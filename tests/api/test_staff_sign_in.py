"""Staff sign in through their municipality's OpenID provider (a real one, over HTTP):
the role from the mapped claim, a pseudonymous person, a session. A wrong or replayed
`state`, a replayed code, another sign-in's nonce or an account without a role end on an
error page with no session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from services.stores.identity_providers import IdentityProvider
from tests.api.conftest import Stack
from tests.api.test_hardening import services_of
from tests.oidc_provider import Provider, running

NAME = "utrecht-medewerkers"


@pytest.fixture(scope="module")
def provider(stack: Stack) -> Iterator[Provider]:
    with running() as found:
        services_of(stack).identity_providers.add(
            IdentityProvider(
                name=NAME,
                municipality="utrecht",
                issuer=found.issuer,
                client_id="wijklab",
                client_secret="geheim-van-de-gemeente",
                role_claim="roles",
                role_map={"programme_manager": "wijkteam", "evaluator": "onderzoek"},
            )
        )
        yield found


async def begin(stack: Stack) -> str:
    stack.client.cookies.clear()
    answer = await stack.client.get(f"/sign-in/oidc/{NAME}", follow_redirects=False)
    assert answer.status_code == 303, answer.text[:300]
    url = answer.headers["location"]
    query = parse_qs(urlparse(url).query)
    assert query["code_challenge_method"] == ["S256"]
    for field in ("state", "nonce", "code_challenge"):
        assert query[field][0]
    assert query["redirect_uri"] == [f"http://wijklab.test/sign-in/oidc/{NAME}/callback"]
    return url


async def back(stack: Stack, path: str, query: dict[str, str]) -> httpx.Response:
    return await stack.client.get(f"{path}?{urlencode(query)}", follow_redirects=False)


def no_session(answer: httpx.Response) -> bool:
    return "wijklab_session=" not in answer.headers.get("set-cookie", "")


async def test_a_programme_manager_signs_in_and_takes_a_decision(
    stack: Stack, provider: Provider
) -> None:
    sub = f"pm-{uuid.uuid4().hex[:6]}"
    provider.user(sub, name="Petra de Vries", email=f"{sub}@utrecht.nl", roles=["wijkteam"])
    page = await stack.client.get("/sign-in")
    assert f"/sign-in/oidc/{NAME}" in page.text
    path, query = provider.authorize(await begin(stack), sub)
    answer = await back(stack, path, query)
    assert answer.status_code == 200, answer.text[:400]
    assert 'http-equiv="refresh"' in answer.text
    assert not no_session(answer)
    overview = await stack.client.get("/experiments")
    assert "Petra de Vries" in overview.text
    assert "programmamanager" in overview.text
    assert "Experiment starten" in overview.text
    again = await back(stack, path, query)
    assert again.status_code == 400, "a callback works once"
    assert no_session(again)
    # The same account comes back as the same pseudonymous person.
    first = services_of(stack).identity_providers.person_of(NAME, sub)
    path, query = provider.authorize(await begin(stack), sub)
    assert (await back(stack, path, query)).status_code == 200
    assert services_of(stack).identity_providers.person_of(NAME, sub) == first
    stack.client.cookies.clear()


async def test_a_state_that_did_not_begin_here_is_refused(stack: Stack, provider: Provider) -> None:
    sub = f"pm-{uuid.uuid4().hex[:6]}"
    provider.user(sub, name="Karin", roles=["wijkteam"])
    path, query = provider.authorize(await begin(stack), sub)
    forged = await back(stack, path, {**query, "state": "attacker-chosen"})
    assert forged.status_code == 400
    assert "bad_state" in forged.text
    assert no_session(forged)
    # Another browser (no state cookie) with the real answer gets nothing either.
    stack.client.cookies.clear()
    elsewhere = await back(stack, path, query)
    assert elsewhere.status_code == 400
    assert no_session(elsewhere)


async def test_a_replayed_code_is_refused_by_the_provider(stack: Stack, provider: Provider) -> None:
    sub = f"pm-{uuid.uuid4().hex[:6]}"
    provider.user(sub, name="Joris", roles=["wijkteam"])
    path, used = provider.authorize(await begin(stack), sub)
    assert (await back(stack, path, used)).status_code == 200
    fresh = parse_qs(urlparse(await begin(stack)).query)["state"][0]
    replayed = await back(stack, path, {"code": used["code"], "state": fresh})
    assert replayed.status_code == 400
    assert "code_refused" in replayed.text
    assert no_session(replayed)
    stack.client.cookies.clear()


async def test_another_sign_ins_nonce_is_refused(stack: Stack, provider: Provider) -> None:
    sub = f"pm-{uuid.uuid4().hex[:6]}"
    provider.user(sub, name="Noor", roles=["wijkteam"])
    path, query = provider.authorize(await begin(stack), sub)
    with stack.runtime.database.connect() as conn:
        conn.execute(
            f"UPDATE {stack.runtime.database.schema}.oidc_logins SET nonce = 'another-sign-in'"
        )
    answer = await back(stack, path, query)
    assert answer.status_code == 400
    assert "bad_nonce" in answer.text
    assert no_session(answer)
    stack.client.cookies.clear()


async def test_an_account_without_a_mapped_role_gets_no_session(
    stack: Stack, provider: Provider
) -> None:
    sub = f"clerk-{uuid.uuid4().hex[:6]}"
    provider.user(sub, name="Bas", roles=["burgerzaken"])
    path, query = provider.authorize(await begin(stack), sub)
    answer = await back(stack, path, query)
    assert answer.status_code == 400
    assert "geen rol in wijklab" in answer.text
    assert no_session(answer)
    assert services_of(stack).identity_providers.person_of(NAME, sub) is None, "nobody stored"
    unknown = await stack.client.get("/sign-in/oidc/no-such-provider", follow_redirects=False)
    assert unknown.status_code == 400
    stack.client.cookies.clear()
