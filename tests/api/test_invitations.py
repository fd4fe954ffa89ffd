"""Invitations end to end on the real stack with a real SMTP server: made over the API,
mailed, followed, accepted once; refused for the wrong inviter, the wrong role, a bad
experiment; used, expired, revoked and guessed codes open nothing."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from tests.api.conftest import Stack, projected, round_of_one
from tests.api.test_contract import PLAN, decide, start
from tests.api.test_hardening import limits


def invitation(**overrides: Any) -> dict[str, Any]:
    address = f"bewoner-{uuid.uuid4().hex[:8]}@example.nl"
    body: dict[str, Any] = {
        "role": "resident",
        "person": {"name": "Ans Bakker", "contact": address},
    }
    body.update(overrides)
    return body


async def invite(stack: Stack, who: str = "pm", **overrides: Any) -> httpx.Response:
    return await stack.client.post(
        "/v1/invitations", json=invitation(**overrides), headers=stack.auth(who)
    )


def page_path(url: str) -> str:
    return urlparse(url).path


async def accept(stack: Stack, path: str) -> httpx.Response:
    """Press the button as a visitor who holds a valid form token (from the page itself, or
    from the code form when the page shows the invitation cannot be used)."""
    stack.client.cookies.clear()
    page = await stack.client.get(path)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if csrf is None:
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await stack.client.get("/invite")).text)
    assert csrf, page.text[:300]
    return await stack.client.post(path, data={"csrf": csrf.group(1)}, follow_redirects=False)


async def test_a_mailed_invitation_is_followed_and_the_resident_endorses(stack: Stack) -> None:
    assert stack.mail is not None
    started = await start(stack)
    eid = started["id"]
    await decide(stack, eid, PLAN)
    made = await invite(stack, experiment_id=eid)
    assert made.status_code == 201, made.text
    answer = made.json()
    # A round that every resident invited must support: the one just invited.
    opened = await decide(stack, eid, round_of_one() | {"threshold": {"share": 1.0}})
    assert (
        opened["experiment"]["endorsement"]["electorate"],
        opened["experiment"]["endorsement"]["needed"],
    ) == (1, 1)
    assert answer["delivered"] == "email"
    assert answer["status"] == "open"
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", answer["code"])

    [mail] = [m for m in stack.mail.inbox.messages if answer["code"] in stack.mail.inbox.body(m)]
    address = mail["To"]
    assert mail["Subject"] == "Uitnodiging voor wijklab van utrecht"
    body = stack.mail.inbox.body(mail)
    assert "Samen warm de winter door" in body
    link = stack.mail.inbox.link(address, "/invite/")
    assert link == answer["url"]

    shown = await stack.client.get(page_path(link))
    assert shown.status_code == 200
    assert "Welkom, Ans Bakker" in shown.text
    assert "bewoner" in shown.text
    accepted = await accept(stack, page_path(link))
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/experiments/{eid}", "the experiment comes first"
    await projected(stack, eid)
    page = await stack.client.get(f"/experiments/{eid}")
    assert "Ans Bakker" in page.text, "signed in as the invited person"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    endorsed = await stack.client.post(
        f"/experiments/{eid}/decisions",
        data={
            "csrf": csrf.group(1),
            "nonce": f"endorse-{uuid.uuid4().hex}",
            "type": "endorse",
        },
        follow_redirects=False,
    )
    assert endorsed.status_code == 303
    assert "done=1" in endorsed.headers["location"], endorsed.headers["location"]
    stack.client.cookies.clear()
    position = parse_qs(urlparse(endorsed.headers["location"]).query)["p"][0]
    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": position},
        headers=stack.auth("pm"),
    )
    endorsement = [d for d in history.json()["items"] if d["type"] == "endorse"]
    assert endorsement
    assert endorsement[-1]["actor"]["id"] == answer["person_id"]
    assert endorsement[-1]["actor"]["role"] == "resident"
    assert history.json()["items"][-1]["type"] == "endorsement_reached"

    again = await accept(stack, page_path(link))
    assert again.status_code == 410, "a code works once"
    assert "al gebruikt" in again.text
    assert "wijklab_session" not in again.headers.get("set-cookie", "")
    listed = await stack.client.get("/v1/invitations", headers=stack.auth("pm"))
    mine = [i for i in listed.json()["items"] if i["id"] == answer["id"]]
    assert mine[0]["status"] == "used"
    assert "code" not in mine[0]
    assert answer["code"] not in listed.text


async def test_without_an_address_the_letter_is_the_way(stack: Stack) -> None:
    made = await invite(stack, person={"name": "Kees de Vries", "contact": "06-12345678"})
    assert made.status_code == 201
    assert made.json()["delivered"] == "none"
    typed = made.json()["code"].replace("-", " ").lower()
    stack.client.cookies.clear()
    form = await stack.client.get("/invite")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    found = await stack.client.post(
        "/invite", data={"csrf": csrf.group(1), "code": typed}, follow_redirects=False
    )
    assert found.status_code == 303
    assert found.headers["location"] == "/invite/" + made.json()["code"].replace("-", "")
    assert "Kees de Vries" in (await stack.client.get(found.headers["location"])).text


async def test_expired_and_revoked_invitations_open_nothing(stack: Stack) -> None:
    expired = (await invite(stack, expires_days=1)).json()
    schema = stack.runtime.database.schema
    with stack.runtime.database.connect() as conn:
        conn.execute(
            f"UPDATE {schema}.invitations SET expires_at = now() - interval '1 minute' "
            "WHERE id = %s",
            (expired["id"],),
        )

    shown = await stack.client.get(page_path(expired["url"]))
    assert shown.status_code == 410
    assert "verlopen" in shown.text
    revoked = (await invite(stack)).json()
    gone = await stack.client.delete(f"/v1/invitations/{revoked['id']}", headers=stack.auth("pm"))
    assert gone.status_code == 200
    assert gone.json()["status"] == "revoked"
    shown = await stack.client.get(page_path(revoked["url"]))
    assert shown.status_code == 410
    assert "ingetrokken" in shown.text
    posted = await stack.client.post(
        page_path(revoked["url"]), data={"csrf": "x"}, follow_redirects=False
    )
    assert posted.status_code in (403, 410)
    assert "wijklab_session" not in posted.headers.get("set-cookie", "")


async def test_who_may_invite_whom_and_bad_invitations_change_nothing(stack: Stack) -> None:
    before = (await stack.client.get("/v1/invitations", headers=stack.auth("admin"))).json()
    people = (await stack.client.get("/v1/people", headers=stack.auth("admin"))).json()
    zwolle = (await start(stack, who="zwolle"))["id"]
    refusals = [
        ("pm", {"role": "admin"}, 403),
        ("pm", {"role": "programme_manager"}, 403),
        ("resident", {}, 403),
        ("evaluator", {}, 403),
        ("integration", {}, 403),
        ("partner", {}, 403),
        ("everywhere", {}, 403),
        ("pm", {"role": "system"}, 422),
        ("pm", {"role": "partner"}, 422),  # a partner comes with their organisation
        ("pm", {"experiment_id": zwolle}, 422),
        ("pm", {"experiment_id": "not-a-uuid"}, 422),
        ("pm", {"expires_days": 0}, 422),
        ("pm", {"expires_days": True}, 422),
        ("pm", {"person": {"name": "An\u202ena"}}, 422),
        ("pm", {"person": {}}, 422),
        ("pm", {"language": "de"}, 422),
    ]
    for who, overrides, status in refusals:
        answer = await invite(stack, who, **overrides)
        assert answer.status_code == status, (who, overrides, answer.text)
        assert set(answer.json()["error"]) >= {"code", "message"}
    after = (await stack.client.get("/v1/invitations", headers=stack.auth("admin"))).json()
    assert len(after["items"]) == len(before["items"])
    assert (await stack.client.get("/v1/people", headers=stack.auth("admin"))).json() == people
    partner = await invite(stack, role="partner", organisation="Woonstichting Mitros")
    assert partner.status_code == 201
    admin_invites_staff = await invite(stack, "admin", role="programme_manager")
    assert admin_invites_staff.status_code == 201
    other = await stack.client.delete(
        f"/v1/invitations/{partner.json()['id']}", headers=stack.auth("zwolle")
    )
    assert other.status_code == 404, "another municipality's invitation does not exist"


async def test_guessing_codes_is_limited_like_failed_sign_ins(stack: Stack) -> None:
    with limits(stack, WIJKLAB_AUTH_FAILURE_LIMIT="3/minute"):
        answers = [
            (await stack.client.get(f"/invite/ABCD-EFGH-JK{n}{n}")).status_code for n in range(2, 7)
        ]
    assert answers[:3] == [404, 404, 404]
    assert answers[3:] == [429, 429]
