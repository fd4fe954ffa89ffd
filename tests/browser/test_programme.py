"""A programme in Chromium: a manager starts it on the page, an experiment in it measures
over two cycles, the programme's page draws the funding and shows where residents
experience it differently, and the council's report comes down as a PDF whose text
(read back with pdftotext) holds the figures; axe finds nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.browser.test_pages import sign_in
from tests.builders import round_closing_on
from tests.conftest import LiveService

MEASURED = {
    "name": "veiligheidsgevoel",
    "unit": "%",
    "baseline": {"value": 50, "at": "2025", "source": "Veiligheidsmonitor 2025"},
    "target": 70,
}


def test_a_manager_runs_a_programme_and_takes_the_report_to_the_council(
    browser: Browser, live_service: LiveService, tmp_path: Path
) -> None:
    manager = sign_in(browser, live_service, "pm")
    manager.get_by_role("link", name="Programma's").click()
    start = manager.locator("form", has=manager.get_by_role("heading", name="Programma starten"))
    start.get_by_label("Naam", exact=True).fill("Wijkaanpak Kanaleneiland")
    start.get_by_label("Beschrijving").fill("Vijftien jaar samen met bewoners")
    start.get_by_label("Wijken (CBS-codes, één per regel)").fill("WK034407\nBU03440701")
    start.get_by_label("Van (jaar)").fill("2026")
    start.get_by_label("Tot en met (jaar)").fill("2040")
    start.get_by_label("Bron 1", exact=True).fill("sociaal domein")
    start.get_by_label("Jaar 1", exact=True).fill("2026")
    start.get_by_label("Bedrag (€) 1", exact=True).fill("150.000")
    start.get_by_role("button", name="Programma starten").click()
    expect(manager.get_by_role("heading", name="Wijkaanpak Kanaleneiland")).to_be_visible()
    programme_id = manager.url.split("/programmes/")[1].split("?")[0]

    api = httpx.Client(base_url=live_service.base_url, timeout=30)
    pm = {"Authorization": f"Bearer {live_service.tokens['pm']}"}
    resident = {"Authorization": f"Bearer {live_service.tokens['resident']}"}
    started = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034407", "name": "Kanaleneiland", "kind": "wijk"},
            "title": "Licht op de Kanaleneilandse pleinen",
            "question": "Voelen bewoners zich veiliger met meer licht?",
            "residents_agenda": "Bewoners voelen zich 's avonds onveilig.",
            "themes": ["safety"],
            "programme_id": programme_id,
        },
    )
    assert started.status_code == 201, started.text
    eid = started.json()["id"]

    def post(who: dict[str, str], body: dict[str, object]) -> int:
        answer = api.post(f"/v1/experiments/{eid}/decisions", headers=who, json=body)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["position"])

    post(pm, {"type": "revise_plan", "rationale": "wijkschouw", "description": "Lantaarns",
              "indicators": [MEASURED], "budget": [{"source": "sociaal domein", "amount_eur": "60000"}]})  # fmt: skip
    for cycle, (residents, figures) in enumerate(((44, 58), (52, 63)), start=1):
        post(pm, {"type": "open_endorsement", "rationale": "bewonersavond",
                  "closes_on": round_closing_on(14), "threshold": {"count": 1}})  # fmt: skip
        post(resident, {"type": "endorse"})
        post(pm, {"type": "advance", "to": "act", "rationale": "onderschreven"})
        post(resident, {"type": "record_finding", "text": "enquête", "source": "residents",
                        "indicator": "veiligheidsgevoel", "value": residents})  # fmt: skip
        post(pm, {"type": "record_finding", "text": "monitor", "source": "data",
                  "indicator": "veiligheidsgevoel", "value": figures})  # fmt: skip
        post(pm, {"type": "advance", "to": "evaluate", "rationale": "voorbij"})
        post(pm, {"type": "advance", "to": "learn", "rationale": "besproken"})
        post(pm, {"type": "record_lesson", "text": f"Licht helpt, maar niet genoeg (cyclus {cycle}).",
                  "themes": ["safety"]})  # fmt: skip
        last = post(pm, {"type": "advance", "to": "plan", "rationale": "volgende cyclus"})

    # The page waits until the read models show the last decision (`p`).
    manager.goto(f"/programmes/{programme_id}?p={last}")
    experiments = manager.get_by_role("table", name="Experimenten per fase")
    expect(experiments).to_contain_text("plannen")
    row = manager.get_by_role("row").filter(has_text="veiligheidsgevoel")
    expect(row).to_contain_text("Bewoners ervaren het anders dan de cijfers.")
    expect(row).to_contain_text("65%")
    expect(manager.get_by_role("img", name="Geld per jaar")).to_be_visible()
    money = manager.get_by_role(
        "table", name="Per pot en jaar: toegekend aan het programma, gepland in de experimenten"
    )
    expect(money).to_contain_text("€ 150.000,00")
    check_accessible(manager, "programme page")
    manager.screenshot(path=SCREENSHOTS / "programme.png", full_page=True)

    with manager.expect_download() as download:
        manager.get_by_role("button", name="Downloaden als pdf").click()
    pdf = tmp_path / "rapportage.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = " ".join(
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert "Voortgangsrapportage" in text
    assert "€ 150.000,00" in text
    assert "Licht op de Kanaleneilandse pleinen" in text
    assert "Bewoners ervaren het anders dan de cijfers." in text
    revise = manager.locator("form", has=manager.get_by_role("heading", name="Programma herzien"))
    revise.get_by_label("Naam", exact=True).fill("Wijkaanpak Kanaleneiland en Transwijk")
    revise.get_by_label("Toelichting (waarom)").fill("Transwijk doet mee")
    revise.get_by_role("button", name="Programma herzien").click()
    expect(
        manager.get_by_role("heading", name="Wijkaanpak Kanaleneiland en Transwijk")
    ).to_be_visible()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(SCREENSHOTS / "report-first-page")],
        check=True,
    )  # fmt: skip

    # The same report as a page: what a council member opens from a link.
    manager.get_by_role("button", name="Rapportage tonen").click()
    expect(manager.get_by_role("heading", name="De stem van bewoners in 2026")).to_be_visible()
    expect(manager.get_by_role("main")).to_contain_text("Steun gehaald")
    # A neighbourhood the register does not name is called by its code, once.
    expect(manager.get_by_role("heading", name="BU03440701", exact=True)).to_be_visible()
    check_accessible(manager, "council report")
    manager.screenshot(path=SCREENSHOTS / "report.png", full_page=True)
