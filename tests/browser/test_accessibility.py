"""Every page, in Dutch and in English, signed in and not: axe-core finds no violation of
WCAG 2.1 A or AA (the level Dutch municipalities must meet by law). Each result is written
to `screenshots/axe.txt`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from services.bootstrap import prepare_stores
from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.browser.test_pages import sign_in
from tests.builders import round_closing_on
from tests.conftest import LiveService


@pytest.fixture(scope="module")
def things(live_service: LiveService) -> dict[str, str]:
    """An experiment in act with a finding, a lesson-less history, and an open invitation."""
    api = httpx.Client(base_url=live_service.base_url, timeout=30)
    pm = {"Authorization": f"Bearer {live_service.tokens['pm']}"}
    resident = {"Authorization": f"Bearer {live_service.tokens['resident']}"}
    started = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034401", "name": "Overvecht", "kind": "wijk"},
            "title": "Samen warm de winter door",
            "question": "Helpt een buurtenergiecoach?",
            "residents_agenda": "Bewoners vroegen hulp bij hun energierekening.",
            "themes": ["energy_transition"],
        },
    ).json()
    eid = started["id"]
    for who, body in (
        (
            pm,
            {
                "type": "revise_plan",
                "rationale": "wijkoverleg",
                "description": "Coaches",
                "indicators": [{"name": "huishoudens bezocht", "target": 200}],
                "budget": [{"source": "energietransitie", "amount_eur": 40000}],
            },
        ),
        (
            pm,
            {
                "type": "open_endorsement",
                "rationale": "bewonersavond",
                "closes_on": round_closing_on(14),
                "threshold": {"count": 1},
            },
        ),
        (resident, {"type": "endorse", "comment": "goed plan"}),
        (pm, {"type": "advance", "to": "act", "rationale": "aan de slag"}),
        (
            resident,
            {
                "type": "record_finding",
                "text": "De coach helpt",
                "source": "residents",
                "evidence": [_evidence(api, resident, started["id"])],
            },
        ),
    ):
        answer = api.post(f"/v1/experiments/{eid}/decisions", headers=who, json=body)
        assert answer.status_code == 200, answer.text
    shown = api.get(
        f"/v1/experiments/{eid}", params={"min_position": answer.json()["position"]}, headers=pm
    )
    assert shown.status_code == 200, "the pages will show it"
    invited = api.post(
        "/v1/invitations",
        headers=pm,
        json={
            "role": "resident",
            "person": {"name": "Ans Bakker", "contact": "ans@example.nl"},
            "experiment_id": eid,
        },
    ).json()
    # A plan put to residents: a round of three, one supporter so far, a co-signer named.
    in_round = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034402", "name": "Kanaleneiland", "kind": "wijk"},
            "title": "Een buurtkamer op dinsdag",
            "question": "Komen buren vaker samen met een vaste plek?",
            "residents_agenda": "Bewoners vroegen om een plek om elkaar te zien.",
            "themes": ["social_functioning"],
        },
    ).json()["id"]
    for who, body in (
        (
            pm,
            {
                "type": "revise_plan",
                "rationale": "wijkoverleg",
                "description": "Een buurtkamer in de school, elke dinsdag.",
                "indicators": [{"name": "bezoekers per week", "target": 30}],
                "co_signers": ["Woonstad Rotterdam"],
            },
        ),
        (
            pm,
            {
                "type": "open_endorsement",
                "rationale": "bewonersavond",
                "closes_on": round_closing_on(14),
                "threshold": {"count": 3},
            },
        ),
        (resident, {"type": "endorse", "comment": "eindelijk"}),
    ):
        answer = api.post(f"/v1/experiments/{in_round}/decisions", headers=who, json=body)
        assert answer.status_code == 200, answer.text
    stores = prepare_stores(live_service.runtime)
    someone = stores.people.register("utrecht", "Kees Nooitmeer", "kees@example.nl")
    return {
        "in_round": in_round,
        "experiment": eid,
        "invite": invited["url"].split("/invite/")[1],
        "unsubscribe": stores.unsubscribe_links.token(someone),
    }


def _evidence(api: httpx.Client, who: dict[str, str], experiment_id: str) -> str:
    """A file the resident's finding rests on, shown in the experiment's timeline."""
    kept = api.post(
        f"/v1/experiments/{experiment_id}/evidence",
        headers=who,
        files={"file": ("verslag.txt", b"Verslag van de bewonersavond.", "text/plain")},
        data={"title": "Verslag bewonersavond"},
    )
    assert kept.status_code == 201, kept.text
    return str(kept.json()["id"])


def visit(page: Page, path: str, name: str, heading: str | None = None) -> None:
    page.goto(path)
    if heading:
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    check_accessible(page, name)


def test_every_page_meets_wcag_21_aa(
    browser: Browser, live_service: LiveService, things: dict[str, str]
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "axe.txt").write_text("", encoding="utf-8")
    eid, code = things["experiment"], things["invite"]
    today = datetime.now(UTC).date().isoformat()
    for locale, lang in (("nl-NL", "nl"), ("en-GB", "en")):
        visitor = browser.new_context(base_url=live_service.base_url, locale=locale).new_page()
        visit(visitor, "/sign-in", f"{lang} sign-in")
        visit(visitor, "/invite", f"{lang} invitation code")
        visit(visitor, f"/invite/{code}", f"{lang} invitation")
        visit(visitor, "/invite/ABCD-EFGH-JK23", f"{lang} unknown invitation")
        visit(visitor, "/sign-in/email/not-a-link", f"{lang} used sign-in link")
        visit(visitor, "/sign-in/oidc/nobody", f"{lang} failed staff sign-in")
        visit(visitor, "/dev/mail", f"{lang} development mail")
        visit(visitor, f"/unsubscribe/{things['unsubscribe']}", f"{lang} unsubscribe")
        # The answer is a new page: axe runs on it, not on the one being left.
        with visitor.expect_navigation():
            visitor.locator("form[action^='/unsubscribe/'] button").click()
        check_accessible(visitor, f"{lang} unsubscribed")  # nl: done; en: done before
        visit(visitor, "/unsubscribe/prs_forged.link", f"{lang} forged unsubscribe link")
        visitor.goto("/sign-in")
        email = visitor.locator("#email")
        email.fill("iemand@example.nl")
        with visitor.expect_navigation():
            visitor.locator("form[action='/sign-in/email'] button").click()
        check_accessible(visitor, f"{lang} sign-in link sent")
        visitor.context.close()
    for who in ("pm", "resident", "evaluator"):
        page = sign_in(browser, live_service, who)
        check_accessible(page, f"{who} overview")
        visit(page, f"/experiments/{eid}", f"{who} experiment")
        expect(page.get_by_role("link", name="Verslag bewonersavond")).to_be_visible()
        if who == "resident":
            page.screenshot(path=SCREENSHOTS / "experiment-with-evidence.png", full_page=True)
        visit(page, f"/experiments/{things['in_round']}", f"{who} experiment in a round")
        expect(page.get_by_text("Steunronde 1")).to_be_visible()
        if who == "resident":
            expect(page.get_by_text("Uw stem: Ik steun dit plan")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "resident-in-a-round.png", full_page=True)
        if who == "pm":
            page.screenshot(path=SCREENSHOTS / "manager-in-a-round.png", full_page=True)
        visit(page, "/lessons?q=coach", f"{who} lessons")
        visit(page, "/neighbourhoods", f"{who} neighbourhoods")
        visit(page, "/settings/mail", f"{who} mail settings")
        visit(page, "/experiments/00000000-0000-4000-8000-000000000000", f"{who} not found")
        if who == "evaluator":
            visit(page, f"/experiments/{eid}?at={today}", "evaluator past state")
        if who == "pm":
            visit(page, "/admin/invitations", "pm invitations")
            page.locator("#name").fill("Henk Smit")
            page.locator("#postal_address").fill("Zambesidreef 12\n3561 AB Utrecht")
            page.get_by_role("button", name="Uitnodigen").click()
            expect(page.get_by_role("heading", name="Uitnodiging voor wijklab")).to_be_visible()
            check_accessible(page, "pm invitation letter")
            page.emulate_media(media="print")
            page.screenshot(path=SCREENSHOTS / "invitation-letter-print.png", full_page=True)
            page.emulate_media(media="screen")
        page.goto("/language/en?next=/experiments")
        check_accessible(page, f"{who} overview (en)")
        visit(page, f"/experiments/{eid}", f"{who} experiment (en)")
        page.context.close()
    admin = browser.new_context(base_url=live_service.base_url, locale="nl-NL").new_page()
    admin.goto("/sign-in")
    admin.get_by_label("API-sleutel").fill(live_service.tokens["admin"])
    admin.get_by_role("button", name="Inloggen").click()
    expect(admin.get_by_role("heading", name="Mensen van utrecht")).to_be_visible()
    check_accessible(admin, "admin people")
    visit(admin, "/admin/invitations", "admin invitations")
    visit(admin, "/admin/access-records", "admin access records", "Inzage-overzicht")
    visit(admin, "/admin/keys", "admin keys", "API-sleutels van utrecht")
    admin.locator("#name").fill("Dashboard van de wijkmonitor")
    admin.get_by_role("button", name="Sleutel maken").click()
    expect(admin.get_by_role("heading", name="Kopieer het nu")).to_be_visible()
    check_accessible(admin, "admin key shown once")
    visit(admin, "/admin/integrations", "admin integrations", "Koppelingen van utrecht")
    admin.locator("#name").fill("zaaksysteem")
    admin.get_by_role("button", name="Koppelen").click()
    expect(admin.get_by_role("heading", name="Kopieer het nu")).to_be_visible()
    visit(admin, "/admin/integrations", "admin integrations listed", "Gekoppelde systemen")
    admin.locator("#url").fill("http://127.0.0.1:9/wijkmonitor")
    admin.get_by_role("button", name="Abonneren").click()
    expect(admin.get_by_role("heading", name="Kopieer het nu")).to_be_visible()
    visit(
        admin, "/admin/integrations#outbound", "admin subscriptions listed", "Gekoppelde systemen"
    )
    admin.get_by_role("link", name="http://127.0.0.1:9/wijkmonitor").click()
    expect(
        admin.get_by_role("heading", name="Berichten aan http://127.0.0.1:9/wijkmonitor")
    ).to_be_visible()
    check_accessible(admin, "admin deliveries")
    visit(admin, "/admin/identity-providers", "admin identity providers (none)")
    admin.goto("/language/en?next=/admin/people")
    check_accessible(admin, "admin people (en)")
    admin.context.close()
    report = (SCREENSHOTS / "axe.txt").read_text(encoding="utf-8")
    assert len(re.findall(r": 0 violations", report)) == len(report.splitlines()) >= 30


def test_the_check_finds_what_it_is_for(browser: Browser) -> None:
    """axe really runs: a page with an unlabelled field and an image without text fails."""
    page = browser.new_page()
    page.set_content(
        '<html lang="nl"><head><title>x</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input id="q"></main></body></html>'
    )
    with pytest.raises(AssertionError, match=r"image-alt|label"):
        check_accessible(page, "a page made to fail")
    page.close()
