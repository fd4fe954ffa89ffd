"""The admin pages for API keys, integrations and identity providers: secrets shown once and
never listed, another municipality's out of reach, other roles turned away, refusals that
store nothing, and removing a provider (or revoking a key) ending the sessions opened
through it."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

import httpx

from services.stores.identity_providers import IdentityProvider
from tests.api.conftest import Stack, open_session
from tests.api.test_hardening import services_of
from tests.oidc_provider import running


def token_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def shown_secret(html: str) -> str:
    found = re.search(r'id="secret" class="secret" readonly value="([^"]+)"', html)
    assert found, html[:600]
    return found.group(1)


def rows(stack: Stack, table: str) -> int:
    with stack.runtime.database.connect() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {stack.runtime.database.schema}.{table}"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def post(stack: Stack, path: str, page: str, **data: str) -> httpx.Response:
    return await stack.client.post(
        path, data={"csrf": token_of(page), **data}, follow_redirects=False
    )


async def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(stack: Stack) -> None:
    await open_session(stack, "admin")
    page = await stack.client.get("/admin/keys")
    assert page.status_code == 200
    assert "API-sleutels van utrecht" in page.text
    assert ">zwolle<" not in page.text, "only the admin's own municipality"
    made = await post(
        stack, "/admin/keys", page.text, role="evaluator", name="Onderzoeksbureau Wijkkracht"
    )
    assert made.status_code == 200, made.text[:300]
    token = shown_secret(made.text)
    assert token.startswith("wl_")
    works = await stack.client.get("/v1/experiments", headers={"Authorization": f"Bearer {token}"})
    assert works.status_code == 200
    listed = await stack.client.get("/admin/keys")
    assert "Onderzoeksbureau Wijkkracht" in listed.text
    assert token not in listed.text, "the token is shown once"
    key_id = next(
        k["id"] for k in stack.keys.list("utrecht") if k["name"] == "Onderzoeksbureau Wijkkracht"
    )
    looked = services_of(stack).access.list("utrecht", limit=5).items
    assert any(r["action"] == "people" and r["detail"] == {"via": "keys page"} for r in looked)

    revoked = await post(stack, f"/admin/keys/{key_id}/revoke", listed.text)
    assert revoked.status_code == 303
    refused = await stack.client.get(
        "/v1/experiments", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    stack.client.cookies.clear()


async def test_revoking_a_key_ends_the_sessions_opened_with_it(stack: Stack) -> None:
    token, key_id = stack.keys.create("programme_manager", "utrecht", "Tijdelijke sleutel")
    stack.client.cookies.clear()
    await stack.client.get("/sign-in")
    csrf = stack.client.cookies.get("wijklab_csrf")
    signed = await stack.client.post(
        "/sign-in", data={"csrf": csrf, "token": token}, follow_redirects=False
    )
    session = signed.cookies["wijklab_session"]
    await open_session(stack, "admin")
    listed = await stack.client.get("/admin/keys")
    assert (await post(stack, f"/admin/keys/{key_id}/revoke", listed.text)).status_code == 303
    stack.client.cookies.clear()
    after = await stack.client.get(
        "/experiments", headers={"Cookie": f"wijklab_session={session}"}, follow_redirects=False
    )
    assert after.status_code == 303
    assert after.headers["location"] == "/sign-in"


async def test_refused_keys_store_nothing_and_others_are_out_of_reach(stack: Stack) -> None:
    await open_session(stack, "admin")
    page = await stack.client.get("/admin/keys")
    before = rows(stack, "api_keys")
    for data in (
        {"role": "superuser", "name": "X"},
        {"role": "integration", "name": ""},
        {"role": "evaluator", "name": "Bureau\u202eX"},
    ):
        refused = await post(stack, "/admin/keys", page.text, **data)
        assert refused.status_code == 303
        assert "error=invalid_input" in refused.headers["location"]
        shown = await stack.client.get(refused.headers["location"])
        assert "Controleer dit veld" in shown.text
    assert rows(stack, "api_keys") == before
    # Zwolle's key is not Utrecht's admin's to revoke.
    _, zwolle_key = stack.keys.create("programme_manager", "zwolle", "Zwolle")
    other = await post(stack, f"/admin/keys/{zwolle_key}/revoke", page.text)
    assert other.status_code == 404
    assert any(k["id"] == zwolle_key and not k["revoked_at"] for k in stack.keys.list("zwolle"))
    # A form without its token changes nothing.
    forged = await stack.client.post(
        "/admin/keys", data={"role": "admin", "name": "Aanvaller"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert rows(stack, "api_keys") == before + 1
    stack.client.cookies.clear()


async def test_only_an_admin_reaches_the_pages(stack: Stack) -> None:
    for who in ("pm", "resident", "evaluator", "partner"):
        await open_session(stack, who)
        own = await stack.client.get("/experiments")
        for path in ("/admin/keys", "/admin/integrations", "/admin/identity-providers"):
            assert (await stack.client.get(path)).status_code == 403, (who, path)
            posted = await stack.client.post(
                path, data={"csrf": token_of(own.text), "name": "x"}, follow_redirects=False
            )
            assert posted.status_code == 403, (who, path)
        assert "/admin/keys" not in own.text, "no link to a page the role may not open"
    stack.client.cookies.clear()


async def test_an_admin_links_a_system_renews_its_secret_and_revokes_it(stack: Stack) -> None:
    name = f"zaaksysteem-{uuid.uuid4().hex[:6]}"
    await open_session(stack, "admin")
    page = await stack.client.get("/admin/integrations")
    assert "http://wijklab.test/v1/webhooks/" in page.text
    made = await post(stack, "/admin/integrations", page.text, name=name)
    first = shown_secret(made.text)
    assert first.startswith("whsec_")
    found = stack.integrations.get(name)
    assert found is not None
    assert found.municipality == "utrecht"
    assert found.secrets == (first,)
    listed = await stack.client.get("/admin/integrations")
    assert name in listed.text
    assert first not in listed.text, "the secret is shown once"

    renewed = await post(stack, f"/admin/integrations/{name}/rotation", listed.text)
    second = shown_secret(renewed.text)
    found = stack.integrations.get(name)
    assert found is not None
    assert found.secrets == (second, first), "the old secret stays valid for a while"
    leaked = await post(stack, f"/admin/integrations/{name}/rotation", listed.text, immediate="yes")
    third = shown_secret(leaked.text)
    found = stack.integrations.get(name)
    assert found is not None
    assert found.secrets == (third,), "a leaked secret is refused at once"

    revoked = await post(stack, f"/admin/integrations/{name}/revoke", listed.text)
    assert revoked.status_code == 303
    assert stack.integrations.get(name) is None
    stack.client.cookies.clear()


async def test_refused_integrations_store_nothing(stack: Stack) -> None:
    zwolle = f"zwolle-{uuid.uuid4().hex[:6]}"
    zwolle_secret = stack.integrations.create(zwolle, "zwolle")
    await open_session(stack, "admin")
    page = await stack.client.get("/admin/integrations")
    before = rows(stack, "integrations")
    for name in ("Hoofdletters", "met spatie", "", zwolle):
        refused = await post(stack, "/admin/integrations", page.text, name=name)
        assert refused.status_code == 303, name
        assert "error=invalid_input" in refused.headers["location"]
    assert rows(stack, "integrations") == before
    for action in ("rotation", "revoke"):
        other = await post(stack, f"/admin/integrations/{zwolle}/{action}", page.text)
        assert other.status_code == 404
    found = stack.integrations.get(zwolle)
    assert found is not None
    assert found.secrets == (zwolle_secret,), "another municipality's integration is untouched"
    stack.client.cookies.clear()


PROVIDER_FORM = {
    "client_id": "wijklab",
    "client_secret": "geheim-van-de-gemeente",
    "role_claim": "roles",
    "map_programme_manager": "wijkteam",
    "map_evaluator": "",
    "map_admin": "",
}


async def test_an_admin_adds_a_provider_staff_sign_in_and_removing_it_ends_their_sessions(
    stack: Stack,
) -> None:
    name = f"utrecht-{uuid.uuid4().hex[:6]}"
    with running() as provider:
        await open_session(stack, "admin")
        page = await stack.client.get("/admin/identity-providers")
        added = await post(
            stack,
            "/admin/identity-providers",
            page.text,
            name=name,
            issuer=provider.issuer,
            **PROVIDER_FORM,
        )
        assert added.status_code == 303
        assert added.headers["location"].endswith("done=added")
        listed = await stack.client.get("/admin/identity-providers")
        assert f"http://wijklab.test/sign-in/oidc/{name}/callback" in listed.text
        assert "geheim-van-de-gemeente" not in listed.text, "the secret is never shown"
        stored = services_of(stack).identity_providers.get(name)
        assert stored is not None
        assert stored.municipality == "utrecht"
        assert stored.role_map == {"programme_manager": "wijkteam"}

        # A member of staff signs in through it.
        sub = f"pm-{uuid.uuid4().hex[:6]}"
        provider.user(sub, name="Petra de Vries", roles=["wijkteam"])
        stack.client.cookies.clear()
        assert f"/sign-in/oidc/{name}" in (await stack.client.get("/sign-in")).text
        begun = await stack.client.get(f"/sign-in/oidc/{name}", follow_redirects=False)
        path, query = provider.authorize(begun.headers["location"], sub)
        back = await stack.client.get(f"{path}?{urlencode(query)}", follow_redirects=False)
        assert back.status_code == 200, back.text[:300]
        session = back.cookies["wijklab_session"]
        assert "Petra de Vries" in (await stack.client.get("/experiments")).text

        # Removing the provider ends that session at once.
        await open_session(stack, "admin")
        listed = await stack.client.get("/admin/identity-providers")
        removed = await post(stack, f"/admin/identity-providers/{name}/remove", listed.text)
        assert removed.status_code == 303
        stack.client.cookies.clear()
        after = await stack.client.get(
            "/experiments", headers={"Cookie": f"wijklab_session={session}"}, follow_redirects=False
        )
        assert after.status_code == 303
        assert f"/sign-in/oidc/{name}" not in (await stack.client.get("/sign-in")).text
        start = await stack.client.get(f"/sign-in/oidc/{name}", follow_redirects=False)
        assert start.status_code == 400
        assert "unknown_provider" in start.text


async def test_refused_providers_store_nothing(stack: Stack) -> None:
    zwolle = f"zwolle-{uuid.uuid4().hex[:6]}"
    services_of(stack).identity_providers.add(
        IdentityProvider(
            name=zwolle,
            municipality="zwolle",
            issuer="https://login.zwolle.example",
            client_id="wijklab",
            client_secret="zwols-geheim",
            role_claim="roles",
            role_map={"programme_manager": "wijkteam"},
        )
    )
    await open_session(stack, "admin")
    page = await stack.client.get("/admin/identity-providers")
    before = rows(stack, "identity_providers")
    good = {"name": f"u-{uuid.uuid4().hex[:6]}", "issuer": "https://login.utrecht.example"}
    for change, field in (
        ({"issuer": "ftp://login.utrecht.example"}, "issuer"),
        ({"issuer": "https://login utrecht"}, "issuer"),
        ({"name": "Met Hoofdletters"}, "name"),
        ({"name": zwolle}, "name"),
        ({"client_id": " "}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"map_programme_manager": ""}, "map"),
        ({"map_programme_manager": "wijk\u200bteam"}, "map"),
        ({"role_claim": "two words"}, "role_claim"),
    ):
        refused = await post(
            stack, "/admin/identity-providers", page.text, **{**PROVIDER_FORM, **good, **change}
        )
        assert refused.status_code == 303, change
        assert f"field={field}" in refused.headers["location"], (change, refused.headers)
    assert rows(stack, "identity_providers") == before
    other = await post(stack, f"/admin/identity-providers/{zwolle}/remove", page.text)
    assert other.status_code == 404
    assert services_of(stack).identity_providers.get(zwolle) is not None
    stack.client.cookies.clear()


async def test_an_admin_subscribes_a_receiver_from_the_page(stack: Stack) -> None:
    await open_session(stack, "admin")
    page = await stack.client.get("/admin/integrations")
    assert "Abonnementen: wijklab stuurt gebeurtenissen" in page.text
    before = rows(stack, "subscriptions")
    for url in ("http://10.0.0.5/hook", "ftp://93.184.216.34/", ""):
        refused = await post(
            stack, "/admin/subscriptions", page.text, url=url, **{"event_decision.recorded": "yes"}
        )
        assert refused.status_code == 303, url
        assert "field=url" in refused.headers["location"]
    no_events = await post(stack, "/admin/subscriptions", page.text, url="https://93.184.216.34/")
    assert "field=event_types" in no_events.headers["location"]
    assert rows(stack, "subscriptions") == before

    made = await post(
        stack,
        "/admin/subscriptions",
        page.text,
        url="http://127.0.0.1:9/wijkmonitor",
        **{"event_decision.recorded": "yes", "event_stage.overdue": "yes"},
    )
    assert made.status_code == 200, made.text[:300]
    secret = shown_secret(made.text)
    [found] = [
        s
        for s in services_of(stack).subscriptions.list("utrecht")
        if s.url == "http://127.0.0.1:9/wijkmonitor"
    ]
    assert found.event_types == ("decision.recorded", "stage.overdue")
    assert services_of(stack).subscriptions.signing_secrets(found.id) == (secret,)
    listed = await stack.client.get("/admin/integrations")
    assert "http://127.0.0.1:9/wijkmonitor" in listed.text
    assert secret not in listed.text

    zwolle_admin, _ = stack.keys.create("admin", "zwolle", "beheer zwolle")
    elsewhere = await stack.client.post(
        "/v1/subscriptions",
        headers={"Authorization": f"Bearer {zwolle_admin}"},
        json={"url": "http://127.0.0.1:9/zwolle", "event_types": ["stage.due"]},
    )
    zwolle_id = elsewhere.json()["id"]
    for action in ("rotation", "delete"):
        other = await post(stack, f"/admin/subscriptions/{zwolle_id}/{action}", listed.text)
        assert other.status_code == 404
    deleted = await post(stack, f"/admin/subscriptions/{found.id}/delete", listed.text)
    assert deleted.status_code == 303
    assert services_of(stack).subscriptions.get(found.id, "utrecht") is None
    stack.client.cookies.clear()
