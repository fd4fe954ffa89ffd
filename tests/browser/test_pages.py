"""A programme manager, a resident and an evaluator use wijklab in a real browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from babel.dates import format_date
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.builders import round_closing_on
from tests.conftest import LiveService


def sign_in(browser: Browser, live: LiveService, who: str) -> Page:
    page = browser.new_context(base_url=live.base_url, locale="nl-NL").new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    page.get_by_label("API-sleutel").fill(live.tokens[who])
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Experimenten", exact=True)).to_be_visible()
    return page


def decide(page: Page, form: str, **fields: str) -> None:
    """Fill one of the decision forms (by its heading) and submit it."""
    section = page.locator("form", has=page.get_by_role("heading", name=re.compile(form)))
    for label, value in fields.items():
        section.get_by_label(label.replace("_", " "), exact=True).fill(value)
    section.get_by_role("button").click()
    expect(page.get_by_text("Besluit vastgelegd.")).to_be_visible()


def test_a_whole_cycle_by_a_programme_manager_and_a_resident(
    browser: Browser, live_service: LiveService
) -> None:
    pm = sign_in(browser, live_service, "pm")
    pm.get_by_label("Vraag of initiatief van bewoners").fill(
        "Bewoners van het Lombokplein willen meer groen."
    )
    pm.get_by_role("textbox", name="Titel", exact=True).fill("Groene binnentuinen")
    pm.get_by_label("Leervraag").fill("Maken bewoners samen een binnentuin groener?")
    pm.get_by_role("textbox", name="Naam", exact=True).fill("Lombok")
    pm.get_by_label("Code (CBS-code of korte naam)").fill("BU03440101")
    pm.get_by_label("Soort").select_option("buurt")
    pm.get_by_label("fysieke leefomgeving").check()
    pm.get_by_label("Looptijd van de uitvoering (dagen)").fill("60")
    pm.screenshot(path=SCREENSHOTS / "overview-start-form.png", full_page=True)
    pm.get_by_role("button", name="Starten").click()
    expect(pm.get_by_role("heading", name="Groene binnentuinen")).to_be_visible()
    experiment_url = pm.url.split("?")[0]

    pm.get_by_label("Beschrijving").fill("Drie binnentuinen worden samen met bewoners vergroend.")
    pm.get_by_label("Indicator 1").fill("tuinen vergroend")
    pm.get_by_label("Doel 1").fill("3")
    pm.get_by_label("Bron 1").fill("fysiek domein")
    pm.get_by_label("Bedrag (€) 1").fill("15000")
    pm.locator("#rationale-revise_plan").fill("uit de buurtavond")
    pm.get_by_role("button", name="Plan herzien").click()
    expect(pm.get_by_text("Besluit vastgelegd.")).to_be_visible()
    # The advance is not open yet, and the page says why, in the rules' words.
    expect(
        pm.get_by_text("nog geen steunronde heeft voor dit plan genoeg steun gehaald")
    ).to_be_visible()
    expect(pm.get_by_role("button", name="Naar de volgende fase")).to_have_count(0)
    # The manager puts the plan to residents: one supporter is enough here.
    opening = pm.locator(
        "form", has=pm.get_by_role("heading", name="Bewoners om steun voor het plan vragen")
    )
    opening.get_by_label("Laatste dag om te stemmen").fill(round_closing_on(14))
    opening.get_by_label("Aantal of percentage").fill("1")
    opening.get_by_label("Toelichting (waarom)").fill("besproken op de bewonersavond")
    opening.get_by_role("button", name="Bewoners om steun voor het plan vragen").click()
    expect(pm.get_by_text("open: bewoners kunnen stemmen")).to_be_visible()

    resident = sign_in(browser, live_service, "resident")
    resident.goto(experiment_url)
    resident.get_by_label("Toelichting (niet verplicht)").first.fill("Mooi, ik help mee.")
    resident.get_by_role("button", name="Ik steun dit plan").click()
    expect(resident.get_by_text("Onderschreven door bewoners")).to_be_visible()

    pm.goto(experiment_url)
    pm.locator("#rationale-advance").fill("plan onderschreven, we beginnen")
    pm.get_by_role("button", name="Naar de volgende fase").click()
    expect(pm.get_by_role("heading", name="Cyclus 1: uitvoeren")).to_be_visible()

    resident.goto(experiment_url)
    resident.locator("#finding-text").fill("De kinderen spelen nu in de tuin.")
    resident.locator("#finding-source").select_option("residents")
    resident.get_by_role("button", name="Bevinding vastleggen").click()
    expect(resident.get_by_text("De kinderen spelen nu in de tuin.").first).to_be_visible()

    for rationale in ("uitvoering klaar", "evaluatie besproken"):
        pm.goto(experiment_url)
        pm.locator("#rationale-advance").fill(rationale)
        pm.get_by_role("button", name="Naar de volgende fase").click()
        expect(pm.get_by_text("Besluit vastgelegd.")).to_be_visible()
    expect(pm.get_by_role("heading", name="Cyclus 1: leren")).to_be_visible()

    resident.goto(experiment_url)
    resident.locator("#lesson-text").fill(
        "Een buurtgenoot als tuincoach werkt beter dan een folder."
    )
    resident.get_by_role("button", name="Les vastleggen").click()
    expect(resident.get_by_text("Besluit vastgelegd.")).to_be_visible()

    pm.goto(experiment_url)
    pm.locator("#rationale-advance").fill("tweede ronde met twee tuinen erbij")
    pm.get_by_role("button", name="Naar de volgende fase").click()
    expect(pm.get_by_role("heading", name="Cyclus 2: plannen")).to_be_visible()
    # start, plan, round, vote, reached, act, finding, evaluate, learn, lesson, next cycle
    expect(pm.locator(".timeline .event")).to_have_count(11)
    pm.screenshot(path=SCREENSHOTS / "experiment-cycle-2.png", full_page=True)

    pm.goto("/experiments")
    expect(pm.get_by_role("link", name="Groene binnentuinen")).to_be_visible()
    pm.screenshot(path=SCREENSHOTS / "overview.png", full_page=True)


def test_an_evaluator_follows_a_lesson_back_to_its_history(
    browser: Browser, live_service: LiveService
) -> None:
    evaluator = sign_in(browser, live_service, "evaluator")
    evaluator.get_by_role("link", name="Lessen", exact=True).click()
    evaluator.get_by_label("Zoek in alle lessen").fill("buurtgenoten")
    evaluator.get_by_role("button", name="Zoeken").click()
    expect(
        evaluator.get_by_text("Een buurtgenoot als tuincoach werkt beter dan een folder.")
    ).to_be_visible()
    evaluator.screenshot(path=SCREENSHOTS / "lessons.png", full_page=True)
    evaluator.get_by_role("link", name="Groene binnentuinen").first.click()

    expect(evaluator.get_by_role("heading", name="Besluiten")).to_be_visible()
    expect(evaluator.get_by_text("steun bereikt").first).to_be_visible()
    expect(evaluator.get_by_role("button", name="Plan herzien")).to_have_count(0)  # evaluators read

    today = datetime.now(UTC).date().isoformat()
    evaluator.get_by_label("Zo stond het ervoor op").fill(today)
    evaluator.get_by_role("button", name="Tonen").click()
    written = format_date(datetime.now(UTC).date(), "long", locale="nl_NL")  # 1 december 2026
    expect(evaluator.get_by_text(f"Zo stond het ervoor op {written}")).to_be_visible()
    evaluator.get_by_label("Zo stond het ervoor op").fill("2020-01-01")
    evaluator.get_by_role("button", name="Tonen").click()
    expect(evaluator.get_by_text("Het experiment bestond toen nog niet.")).to_be_visible()
    evaluator.get_by_role("link", name="Terug naar nu").click()

    with evaluator.expect_download() as download:
        evaluator.get_by_role("link", name="Besluiten downloaden (CSV)").click()
    exported = download.value.path().read_text()
    assert exported.startswith('"position","at","cycle","stage","type"')
    assert "record_lesson" in exported
    evaluator.screenshot(path=SCREENSHOTS / "experiment-evaluator.png", full_page=True)

    evaluator.get_by_role("link", name="Wijken").click()
    expect(evaluator.get_by_role("heading", name="Fysieke agenda")).to_be_visible()
    expect(evaluator.get_by_role("link", name="Lombok")).to_be_visible()
    evaluator.screenshot(path=SCREENSHOTS / "neighbourhoods.png", full_page=True)

    evaluator.get_by_role("link", name="English").click()
    expect(evaluator.get_by_role("heading", name="Neighbourhoods")).to_be_visible()
    expect(evaluator.get_by_role("heading", name="Physical agenda")).to_be_visible()


def test_forms_without_their_csrf_token_are_refused(
    browser: Browser, live_service: LiveService
) -> None:
    page = sign_in(browser, live_service, "pm")
    response = page.request.post(f"{live_service.base_url}/sign-out", form={"csrf": "forged"})
    assert response.status == 403
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["wijklab_session"]
    assert session["value"] not in live_service.tokens.values(), "a session id, never a key"
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    headers = page.request.get(f"{live_service.base_url}/experiments").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
