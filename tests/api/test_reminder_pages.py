"""A person's reminders on the pages: choosing each reminder, a daily digest or none at
`/settings/mail`, and stopping them all by the link in the mail, without signing in (also
as a mail program's one-click POST, RFC 8058). A forged link, a second use, a bad choice or
a form without its token: each answered clearly, each changing nothing."""

from __future__ import annotations

from domain.reminders import Frequency
from tests.api.conftest import Stack, open_session
from tests.api.test_admin_pages import token_of
from tests.api.test_hardening import services_of


def person_of(stack: Stack, who: str) -> str:
    """The person behind one of the stack's keys."""
    found = [k for k in stack.keys.list("utrecht") if k["name"] == who]
    assert found, who
    person_id = found[0]["person_id"]
    assert isinstance(person_id, str)
    return person_id


async def test_a_person_chooses_a_daily_digest_in_english(stack: Stack) -> None:
    await open_session(stack, "pm2")
    page = await stack.client.get("/settings/mail")
    assert page.status_code == 200
    assert "Mailinstellingen" in page.text
    assert "één mail per dag met alles erin" in page.text
    assert 'value="each" checked' in page.text, "each reminder, until chosen otherwise"
    chosen = await stack.client.post(
        "/settings/mail",
        data={"csrf": token_of(page.text), "frequency": "daily", "language": "en"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    preferences = services_of(stack).mail_preferences
    person_id = person_of(stack, "pm2")
    assert preferences.of(person_id).frequency is Frequency.DAILY
    assert preferences.of(person_id).language == "en"
    again = await stack.client.get("/settings/mail?done=1")
    assert "Uw keuze is opgeslagen." in again.text
    assert 'value="daily" checked' in again.text


async def test_bad_choices_change_nothing(stack: Stack) -> None:
    await open_session(stack, "evaluator")
    page = await stack.client.get("/settings/mail")
    person_id = person_of(stack, "evaluator")
    preferences = services_of(stack).mail_preferences
    token = token_of(page.text)
    for data, status in (
        ({"csrf": token, "frequency": "hourly", "language": "nl"}, 422),
        ({"csrf": token, "frequency": "none", "language": "de"}, 422),
        ({"csrf": token, "language": "nl"}, 422),
        ({"csrf": "attackerchosen", "frequency": "none", "language": "nl"}, 403),
        ({"frequency": "none", "language": "nl"}, 403),
    ):
        answer = await stack.client.post("/settings/mail", data=data, follow_redirects=False)
        assert answer.status_code == status, (data, answer.status_code)
        assert "<h1>" in answer.text, "an error page, not a bare error"
    assert preferences.of(person_id).frequency is Frequency.EACH
    stack.client.cookies.clear()
    assert (await stack.client.get("/settings/mail", follow_redirects=False)).status_code == 303


async def test_the_link_in_the_mail_stops_reminders_once_without_signing_in(stack: Stack) -> None:
    person_id = person_of(stack, "resident")
    links = services_of(stack).reminding.links
    preferences = services_of(stack).mail_preferences
    path = f"/unsubscribe/{links.token(person_id)}"
    stack.client.cookies.clear()
    shown = await stack.client.get(path)
    assert shown.status_code == 200
    assert "Alle herinneringen stoppen" in shown.text
    assert preferences.of(person_id).frequency is Frequency.EACH, "opening the link changes nothing"
    # A mail program's one-click unsubscribe: no cookie, no form token, this body.
    one_click = await stack.client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert "u krijgt geen herinneringen meer" in one_click.text
    assert preferences.of(person_id).frequency is Frequency.NONE
    twice = await stack.client.post(path)
    assert twice.status_code == 200
    assert "U had uw herinneringen al gestopt" in twice.text
    assert preferences.of(person_id).frequency is Frequency.NONE


async def test_a_forged_link_is_refused_and_changes_nothing(stack: Stack) -> None:
    person_id = person_of(stack, "partner")
    links = services_of(stack).reminding.links
    preferences = services_of(stack).mail_preferences
    real = links.token(person_id)
    other = person_of(stack, "pm")
    for forged in (
        f"{person_id}.{'A' * 24}",
        real.replace(person_id, other),
        real[:-3],
        person_id,
        "prs_nope.abc",
        "prs_" + "0" * 32 + ".",
    ):
        for method in ("GET", "POST"):
            answer = await stack.client.request(method, f"/unsubscribe/{forged}")
            assert answer.status_code == 404, (forged, method)
            assert "Deze afmeldlink klopt niet" in answer.text
    assert preferences.of(person_id).frequency is Frequency.EACH
    assert preferences.of(other).frequency is Frequency.EACH
