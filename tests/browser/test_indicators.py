"""Indicators that measure, in Chromium: a manager gives the plan an indicator with unit,
baseline and direction on the page; after residents and the figures measured it, the page
draws it (an SVG image with a title and a description, the numbers in a table beside it) and,
in the learn stage, asks why residents experience it differently; axe finds nothing."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from services.infra import cbs_csv
from services.stores.neighbourhood_register import NeighbourhoodRegister
from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.browser.test_pages import sign_in
from tests.builders import round_closing_on
from tests.conftest import LiveService
from tests.integration.test_register import SAMPLE


def test_a_manager_sees_the_measurements_drawn_and_the_divergence_asked(
    browser: Browser, live_service: LiveService
) -> None:
    found = cbs_csv.read(SAMPLE.read_bytes(), year=2024, municipality="utrecht")
    NeighbourhoodRegister(live_service.runtime.database).keep(found.neighbourhoods, found.year)
    api = httpx.Client(base_url=live_service.base_url, timeout=30)
    pm = {"Authorization": f"Bearer {live_service.tokens['pm']}"}
    resident = {"Authorization": f"Bearer {live_service.tokens['resident']}"}
    started = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034403", "name": "Overvecht", "kind": "wijk"},
            "title": "Licht in de hofjes",
            "question": "Voelen bewoners zich veiliger met meer licht?",
            "residents_agenda": "Bewoners voelen zich 's avonds onveilig in de hofjes.",
            "themes": ["safety"],
        },
    )
    assert started.status_code == 201, started.text
    eid = started.json()["id"]

    manager = sign_in(browser, live_service, "pm")
    manager.goto(f"/experiments/{eid}")
    plan = manager.locator("form", has=manager.get_by_role("heading", name="Plan herzien"))
    plan.get_by_text("Cijfers van Wijk 03 Overvecht om tegen te meten (CBS)").click()
    figures = plan.get_by_role("table", name="Kerncijfers van Wijk 03 Overvecht")
    expect(figures.get_by_role("row").filter(has_text="Aantal inwoners")).to_contain_text("35.200")
    expect(figures).to_contain_text("Huishoudens met een laag inkomen")
    plan.get_by_label("Beschrijving").fill("Twaalf lantaarns en een buurtpreventieteam")
    plan.get_by_label("Indicator 1", exact=True).fill("veiligheidsgevoel")
    plan.get_by_label("Doel 1", exact=True).fill("70")
    plan.get_by_text("Meetbaar maken").first.click()
    plan.get_by_label("Eenheid 1", exact=True).fill("%")
    plan.get_by_label("Nulmeting 1", exact=True).fill("50")
    plan.get_by_label("Nulmeting gedaan in (jaar of datum) 1").fill("2024")
    plan.get_by_label("Bron van de nulmeting 1").fill("Veiligheidsmonitor 2024")
    plan.get_by_label("Moet het omhoog of omlaag? 1").select_option("increase")
    plan.get_by_label("Toelichting (waarom)").fill("uit de wijkschouw")
    plan.get_by_role("button", name="Plan herzien").click()
    expect(manager.get_by_text("Besluit vastgelegd.")).to_be_visible()

    def post(who: dict[str, str], body: dict[str, object]) -> int:
        answer = api.post(f"/v1/experiments/{eid}/decisions", headers=who, json=body)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["position"])

    post(pm, {"type": "open_endorsement", "rationale": "bewonersavond",
              "closes_on": round_closing_on(14), "threshold": {"count": 1}})  # fmt: skip
    post(resident, {"type": "endorse"})
    post(pm, {"type": "advance", "to": "act", "rationale": "onderschreven"})
    post(resident, {"type": "record_finding", "text": "Nog steeds eng in het donker",
                    "source": "residents", "indicator": "veiligheidsgevoel", "value": "42"})  # fmt: skip
    post(pm, {"type": "record_finding", "text": "Veiligheidsmonitor najaar", "source": "data",
              "indicator": "veiligheidsgevoel", "value": 61.5})  # fmt: skip
    post(pm, {"type": "advance", "to": "evaluate", "rationale": "periode voorbij"})
    last = post(pm, {"type": "advance", "to": "learn", "rationale": "geëvalueerd"})

    # The page waits until the read models show the last decision (`p`).
    manager.goto(f"/experiments/{eid}?p={last}")
    chart = manager.get_by_role("img", name="veiligheidsgevoel (%)")
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_description(
        "Lijngrafiek van veiligheidsgevoel: 2 metingen over 1 cycli, van bewoners en van de "
        "cijfers, tegen de nulmeting en het doel; de getallen staan in de tabel eronder."
    )
    numbers = manager.get_by_role("table", name="De metingen van veiligheidsgevoel")
    expect(numbers).to_contain_text("61,5")
    expect(numbers).to_contain_text("Veiligheidsmonitor 2024")
    expect(manager.get_by_role("note")).to_contain_text(
        "Bewoners ervaren het anders dan de cijfers."
    )
    expect(manager.get_by_role("note")).to_contain_text(
        "Een vraag voor deze leerfase: hoe komt het verschil?"
    )
    progress_row = manager.get_by_role("row").filter(has_text="veiligheidsgevoel (%)").first
    expect(progress_row).to_contain_text("58%")
    expect(manager.locator("svg script")).to_have_count(0)
    check_accessible(manager, "indicators drawn")
    manager.locator("figure.chart").first.screenshot(path=SCREENSHOTS / "indicator-chart.png")
