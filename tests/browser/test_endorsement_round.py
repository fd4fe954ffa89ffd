"""An endorsement round in Chromium: the manager opens it on the page (60 % of the ten
residents invited), six residents who came in by their invitations vote at the same moment,
the round closes at the threshold, and the manager moves on to act."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.browser.test_pages import sign_in
from tests.builders import round_closing_on
from tests.conftest import LiveService

INVITED = 10
VOTERS = 6


def _experiment_with_a_plan(api: httpx.Client, pm: dict[str, str]) -> str:
    started = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034403", "name": "Zuilen", "kind": "wijk"},
            "title": "Bankjes op het plein",
            "question": "Ontmoeten buren elkaar vaker als er plek is om te zitten?",
            "residents_agenda": "Bewoners van het plein vroegen om bankjes.",
            "themes": ["physical_environment", "social_functioning"],
        },
    )
    assert started.status_code == 201, started.text
    eid = str(started.json()["id"])
    revised = api.post(
        f"/v1/experiments/{eid}/decisions",
        headers=pm,
        json={
            "type": "revise_plan",
            "rationale": "uit het buurtgesprek",
            "description": "Zes bankjes op het plein, samen met bewoners gekozen.",
            "indicators": [{"name": "bankjes geplaatst", "target": 6}],
        },
    )
    assert revised.status_code == 200, revised.text
    return eid


def _resident_in(browser: Browser, live: LiveService, link: str) -> Page:
    page = browser.new_context(base_url=live.base_url, locale="nl-NL").new_page()
    page.goto(link)
    page.get_by_role("button", name="Accepteren en inloggen").click()
    expect(page.get_by_role("heading", name="Bankjes op het plein")).to_be_visible()
    return page


def test_six_of_ten_residents_vote_at_once_and_the_manager_moves_on(
    browser: Browser, live_service: LiveService
) -> None:
    api = httpx.Client(base_url=live_service.base_url, timeout=30)
    pm_key = {"Authorization": f"Bearer {live_service.tokens['pm']}"}
    eid = _experiment_with_a_plan(api, pm_key)
    links = []
    for n in range(INVITED):
        invited = api.post(
            "/v1/invitations",
            headers=pm_key,
            json={"role": "resident", "person": {"name": f"Bewoner {n + 1}"}, "experiment_id": eid},
        )
        assert invited.status_code == 201, invited.text
        links.append(invited.json()["url"])

    pm = sign_in(browser, live_service, "pm")
    pm.goto(f"/experiments/{eid}")
    expect(
        pm.get_by_text("geen steunronde heeft voor dit plan genoeg steun gehaald")
    ).to_be_visible()
    form = pm.locator(
        "form", has=pm.get_by_role("heading", name="Bewoners om steun voor het plan vragen")
    )
    form.get_by_label("Laatste dag om te stemmen").fill(round_closing_on(14))
    form.get_by_label("dit percentage van de uitgenodigde bewoners het steunt").check()
    form.get_by_label("Aantal of percentage").fill("60")
    form.get_by_label("Toelichting (waarom)").fill("besproken op de bewonersavond van dinsdag")
    form.get_by_role("button", name="Bewoners om steun voor het plan vragen").click()
    expect(pm.get_by_text("Besluit vastgelegd.")).to_be_visible()
    expect(pm.get_by_text("0 van de 6 benodigde steunbetuigingen")).to_be_visible()
    expect(pm.get_by_text("60% van de 10 uitgenodigde bewoners")).to_be_visible()
    check_accessible(pm, "manager opened a round")

    residents = [_resident_in(browser, live_service, link) for link in links[:VOTERS]]
    check_accessible(residents[0], "resident asked to vote")
    # Six clicks sent without waiting for any answer: six votes in flight at once.
    for page in residents:
        page.get_by_role("button", name="Ik steun dit plan").click(no_wait_after=True)
    for page in residents:
        expect(page.get_by_text("Uw stem: Ik steun dit plan")).to_be_visible()
    residents[-1].screenshot(path=SCREENSHOTS / "round-reached-resident.png", full_page=True)

    pm.goto(f"/experiments/{eid}")
    expect(pm.get_by_text("gehaald: bewoners steunen het plan")).to_be_visible()
    expect(pm.get_by_text("6 van de 6 benodigde steunbetuigingen")).to_be_visible()
    pm.screenshot(path=SCREENSHOTS / "round-reached-manager.png", full_page=True)
    pm.locator("#rationale-advance").fill("de bewoners steunen het plan")
    pm.get_by_role("button", name="Naar de volgende fase").click()
    expect(pm.get_by_role("heading", name="Cyclus 1: uitvoeren")).to_be_visible()

    history = api.get(f"/v1/experiments/{eid}/decisions", headers=pm_key, params={"limit": 100})
    types = [d["type"] for d in history.json()["items"]]
    assert types.count("endorse") == VOTERS
    assert types.count("endorsement_reached") == 1
    assert types.index("endorsement_reached") < types.index("advance")
    for page in (pm, *residents):
        page.context.close()
