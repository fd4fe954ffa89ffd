"""Coming back by mail: the same answer for a known and an unknown address, a link only for
someone who accepted an invitation, working once, for 15 minutes."""

from __future__ import annotations

import re
import uuid

import httpx

from tests.api.conftest import Stack
from tests.api.test_invitations import accept, invite, page_path


async def ask(stack: Stack, address: str) -> httpx.Response:
    stack.client.cookies.clear()
    form = await stack.client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    answer = await stack.client.post(
        "/sign-in/email", data={"csrf": csrf.group(1), "email": address}
    )
    stack.client.cookies.clear()
    return answer


async def invited_and_accepted(stack: Stack) -> tuple[str, str]:
    address = f"terug-{uuid.uuid4().hex[:8]}@example.nl"
    made = await invite(stack, person={"name": "Mila Jansen", "contact": address})
    assert (await accept(stack, page_path(made.json()["url"]))).status_code == 303
    stack.client.cookies.clear()
    return address, made.json()["person_id"]


async def test_a_returning_resident_signs_in_by_a_link_that_works_once(stack: Stack) -> None:
    assert stack.mail is not None
    address, _ = await invited_and_accepted(stack)
    before = len(stack.mail.inbox.to(address))
    answer = await ask(stack, address)
    assert answer.status_code == 200
    assert "Als we dit adres kennen" in answer.text
    assert len(stack.mail.inbox.to(address)) == before + 1
    assert stack.mail.inbox.to(address)[-1]["Subject"] == "Inloggen bij wijklab"
    link = page_path(stack.mail.inbox.link(address, "/sign-in/email/"))
    shown = await stack.client.get(link)
    assert shown.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', shown.text)
    assert csrf
    used = await stack.client.post(link, data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert used.status_code == 303
    assert "Mila Jansen" in (await stack.client.get("/experiments")).text
    stack.client.cookies.clear()
    assert (await stack.client.get(link)).status_code == 410, "a link works once"


async def test_known_and_unknown_addresses_get_the_same_answer(stack: Stack) -> None:
    assert stack.mail is not None
    address, _ = await invited_and_accepted(stack)
    known = await ask(stack, address)
    stranger = f"onbekend-{uuid.uuid4().hex[:8]}@example.nl"
    unknown = await ask(stack, stranger)
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text)
    assert stack.mail.inbox.to(stranger) == []
    # Invited but never accepted: no link either.
    pending = f"nooit-{uuid.uuid4().hex[:8]}@example.nl"
    await invite(stack, person={"name": "Nog Niet", "contact": pending})
    invitations_mailed = len(stack.mail.inbox.to(pending))
    assert (await ask(stack, pending)).text == unknown.text
    assert len(stack.mail.inbox.to(pending)) == invitations_mailed


async def test_no_link_for_an_erased_person_and_none_after_fifteen_minutes(
    stack: Stack,
) -> None:
    assert stack.mail is not None
    address, person_id = await invited_and_accepted(stack)
    await ask(stack, address)
    link = page_path(stack.mail.inbox.link(address, "/sign-in/email/"))
    with stack.runtime.database.connect() as conn:
        conn.execute(
            f"UPDATE {stack.runtime.database.schema}.sign_in_links "
            "SET expires_at = now() - interval '1 second'"
        )
    assert (await stack.client.get(link)).status_code == 410
    erased = await stack.client.post(f"/v1/people/{person_id}/erasure", headers=stack.auth("admin"))
    assert erased.status_code == 200
    count = len(stack.mail.inbox.to(address))
    await ask(stack, address)
    assert len(stack.mail.inbox.to(address)) == count, "an erased person gets nothing"


async def test_a_malformed_address_is_refused_plainly(stack: Stack) -> None:
    answer = await ask(stack, "niet een adres")
    assert answer.status_code == 422
    assert "Vul een e-mailadres in" in answer.text
