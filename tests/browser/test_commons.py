"""Sharing a lesson in Chromium: a manager shares a lesson from the experiment's page with its
evidence level and the finding it rests on; every reader finds it on "Lessen van alle
gemeenten", the resident's own words not in it; axe finds nothing on either page."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.browser.test_pages import sign_in
from tests.builders import round_closing_on
from tests.conftest import LiveService

COACH = "De energiecoach kwam bij 180 huishoudens; de helft vroeg een tweede bezoek."
OWN = "Ik durfde pas te bellen toen mijn buurman het ook deed."
LESSON = "Een buurtgenoot als coach bereikt huishoudens die de gemeente niet bereikt."


def _in_learn(live: LiveService) -> tuple[str, int]:
    api = httpx.Client(base_url=live.base_url, timeout=30)
    pm = {"Authorization": f"Bearer {live.tokens['pm']}"}
    resident = {"Authorization": f"Bearer {live.tokens['resident']}"}
    started = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034405", "name": "Kanaleneiland", "kind": "wijk"},
            "title": "Buurtgenoten als energiecoach",
            "question": "Bereikt een buurtgenoot meer huishoudens dan een brief?",
            "residents_agenda": "Bewoners vroegen om hulp van iemand die ze kennen.",
            "themes": ["energy_transition"],
        },
    )
    assert started.status_code == 201, started.text
    eid = str(started.json()["id"])
    steps = [
        (pm, {"type": "revise_plan", "rationale": "buurtgesprek", "description": "Coaches",
              "indicators": [{"name": "huishoudens", "target": "200"}]}),
        (pm, {"type": "open_endorsement", "rationale": "bewonersavond",
              "closes_on": round_closing_on(14), "threshold": {"count": 1}}),
        (resident, {"type": "endorse"}),
        (pm, {"type": "advance", "to": "act", "rationale": "onderschreven"}),
        (pm, {"type": "record_finding", "text": COACH, "source": "professionals"}),
        (resident, {"type": "record_finding", "text": OWN, "source": "residents"}),
        (pm, {"type": "advance", "to": "evaluate", "rationale": "periode voorbij"}),
        (pm, {"type": "advance", "to": "learn", "rationale": "geëvalueerd"}),
        (pm, {"type": "record_lesson", "text": LESSON, "themes": ["energy_transition"]}),
    ]  # fmt: skip
    for who, body in steps:
        answer = api.post(f"/v1/experiments/{eid}/decisions", headers=who, json=body)
        assert answer.status_code == 200, answer.text
    return eid, int(answer.json()["position"])


def test_a_manager_shares_a_lesson_and_every_municipality_finds_it(
    browser: Browser, live_service: LiveService
) -> None:
    eid, last = _in_learn(live_service)
    manager = sign_in(browser, live_service, "pm")
    # The page waits until the read models show the last decision (`p`).
    manager.goto(f"/experiments/{eid}?p={last}")
    share = manager.locator("form", has=manager.get_by_role("heading", name="Les uit cyclus 1"))
    expect(share).to_contain_text(LESSON)
    share.get_by_label("goed onderbouwd").check()
    expect(share.get_by_role("checkbox", name="gedeeld zonder de tekst")).to_have_count(1)
    share.get_by_label(COACH[:40], exact=False).check()
    share.get_by_label("Waar geldt de les? (niet verplicht)").fill(
        "In wijken waar bewoners elkaar al kennen."
    )
    share.get_by_role("button", name="Deze les delen").click()
    expect(manager.get_by_text("Besluit vastgelegd.")).to_be_visible()
    expect(share).to_contain_text("Gedeeld: goed onderbouwd")
    expect(share.get_by_role("button", name="Opnieuw delen")).to_be_visible()
    check_accessible(manager, "sharing a lesson")
    share.screenshot(path=SCREENSHOTS / "share-lesson.png")

    evaluator = sign_in(browser, live_service, "evaluator")
    evaluator.get_by_role("link", name="Lessen van alle gemeenten").click()
    evaluator.get_by_label("Zoeken").fill("buurtgenoot coach")
    evaluator.get_by_label("Onderbouwing").select_option("substantiated")
    evaluator.get_by_role("button", name="Zoeken").click()
    card = evaluator.locator("li.card").filter(has_text=LESSON)
    expect(card).to_contain_text("goed onderbouwd")
    expect(card).to_contain_text("Kanaleneiland, gemeente utrecht")
    expect(card).to_contain_text("In wijken waar bewoners elkaar al kennen.")
    card.get_by_text("Steunt op één bevinding").click()
    expect(card).to_contain_text(COACH)
    expect(evaluator.get_by_text(OWN)).to_have_count(0)
    check_accessible(evaluator, "lessons of all municipalities")
    evaluator.screenshot(path=SCREENSHOTS / "commons.png", full_page=True)
    evaluator.get_by_label("Onderbouwing").select_option("effective")
    evaluator.get_by_role("button", name="Zoeken").click()
    expect(evaluator.get_by_text("Geen gedeelde lessen gevonden.")).to_be_visible()
