"""Inviting from the pages: the letter with the code right after, the list without codes,
withdrawing; residents and evaluators do not reach it, and a refused invitation stores
nothing."""

from __future__ import annotations

import re

from tests.api.conftest import Stack, open_session


def count(stack: Stack) -> int:
    with stack.runtime.database.connect() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {stack.runtime.database.schema}.invitations"
        ).fetchone()
    assert row is not None
    return int(row[0])


def token_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def test_a_programme_manager_invites_from_the_page_and_prints_the_letter(
    stack: Stack,
) -> None:
    await open_session(stack, "pm")
    page = await stack.client.get("/admin/invitations")
    assert page.status_code == 200
    assert '<option value="admin"' not in page.text, "a programme manager invites no staff"
    letter = await stack.client.post(
        "/admin/invitations",
        data={
            "csrf": token_of(page.text),
            "role": "resident",
            "name": "Henk Smit",
            "contact": "030-1234567",
            "postal_address": "Zambesidreef 12\n3561 AB Utrecht",
        },
    )
    assert letter.status_code == 200, letter.text[:300]
    code = re.search(r'class="code">([A-Z2-9-]{14})<', letter.text)
    assert code, letter.text[:500]
    assert "Zambesidreef 12" in letter.text
    assert "http://wijklab.test/invite" in letter.text
    listed = await stack.client.get("/admin/invitations")
    assert "Henk Smit" in listed.text
    assert code.group(1) not in listed.text, "the code is shown once"
    with stack.runtime.database.connect() as conn:
        dump = str(
            conn.execute(f"SELECT * FROM {stack.runtime.database.schema}.invitations").fetchall()
        )
    assert "Zambesidreef" not in dump
    assert code.group(1) not in dump
    # Withdrawing it: the code opens nothing any more.
    revoke = re.findall(r'action="(/admin/invitations/[0-9a-f-]+/revoke)"', listed.text)
    assert revoke
    done = await stack.client.post(
        revoke[0], data={"csrf": token_of(listed.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    stack.client.cookies.clear()


async def test_refusals_change_nothing_and_others_do_not_reach_the_page(stack: Stack) -> None:
    await open_session(stack, "pm")
    page = await stack.client.get("/admin/invitations")
    before = count(stack)
    for data in (
        {"role": "admin", "name": "X"},
        {"role": "resident", "name": ""},
        {"role": "partner", "name": "Zonder organisatie"},
    ):
        refused = await stack.client.post(
            "/admin/invitations", data={"csrf": token_of(page.text), **data}, follow_redirects=False
        )
        assert refused.status_code == 303
        assert "error=" in refused.headers["location"]
    shown = await stack.client.get("/admin/invitations?error=forbidden")
    assert "geen toegang" in shown.text.lower() or "no access" in shown.text.lower()
    after = count(stack)
    assert after == before
    for who in ("resident", "evaluator", "partner"):
        await open_session(stack, who)
        assert (await stack.client.get("/admin/invitations")).status_code == 403, who
    stack.client.cookies.clear()


async def test_an_admin_ends_access_and_erases_from_the_people_page(stack: Stack) -> None:
    token, _ = stack.keys.create("resident", "utrecht", "Rik Vermeer", "rik@example.nl")
    principal = stack.keys.authenticate(token)
    assert principal is not None
    person = principal.person_id
    for who in ("pm", "resident", "evaluator"):
        await open_session(stack, who)
        assert (await stack.client.get("/admin/people")).status_code == 403, who
        assert (await stack.client.get("/admin/access-records")).status_code == 403, who
    await open_session(stack, "admin")
    page = await stack.client.get("/admin/people")
    assert page.status_code == 200
    assert "Rik Vermeer" in page.text
    assert "rik@example.nl" in page.text, "admins see contacts"
    csrf = token_of(page.text)
    ended = await stack.client.post(
        f"/admin/people/{person}/revocation", data={"csrf": csrf}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert stack.keys.authenticate(token) is None
    unconfirmed = await stack.client.post(
        f"/admin/people/{person}/erasure", data={"csrf": csrf}, follow_redirects=False
    )
    assert unconfirmed.headers["location"].endswith("not_confirmed")
    assert "Rik Vermeer" in (await stack.client.get("/admin/people")).text, "nothing erased"
    erased = await stack.client.post(
        f"/admin/people/{person}/erasure",
        data={"csrf": csrf, "confirm": "yes"},
        follow_redirects=False,
    )
    assert erased.headers["location"].endswith("erased")
    after = await stack.client.get("/admin/people")
    assert "Rik Vermeer" not in after.text
    assert "gewiste persoon" in after.text
    records = await stack.client.get("/admin/access-records")
    assert records.status_code == 200
    assert "lijst van mensen" in records.text, "looking at the people page was recorded"
    assert "Rik Vermeer" not in records.text, "records hold ids, not names"
    missing = await stack.client.post(
        "/admin/people/prs_00000000000000000000000000000000/revocation",
        data={"csrf": csrf},
    )
    assert missing.status_code == 404
    stack.client.cookies.clear()
