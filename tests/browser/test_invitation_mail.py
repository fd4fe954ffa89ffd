"""A mailed invitation in a real browser: the mail reaches a real SMTP server (STARTTLS, a
login), the resident follows its link in Chromium, accepts, lands on the experiment they
were invited for and endorses the plan there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.builders import round_closing_on
from tests.conftest import LiveService
from tests.mail_server import MailServer, running


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    yield from running(Path(tmp_path_factory.mktemp("smtp")))


@pytest.fixture(scope="module")
def live_settings(smtp: MailServer) -> dict[str, object]:
    return {"WIJKLAB_SMTP_URL": smtp.url, "WIJKLAB_SMTP_CA_FILE": smtp.ca_file}


def test_a_resident_follows_the_mailed_link_and_endorses(
    browser: Browser, live_service: LiveService, smtp: MailServer
) -> None:
    api = httpx.Client(base_url=live_service.base_url, timeout=30)
    pm = {"Authorization": f"Bearer {live_service.tokens['pm']}"}
    eid = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034401", "name": "Overvecht", "kind": "wijk"},
            "title": "Speeltuin aan de Zambesidreef",
            "question": "Spelen meer kinderen buiten als bewoners de speeltuin beheren?",
            "residents_agenda": "Ouders vroegen om een veilige speelplek.",
            "themes": ["physical_environment"],
        },
    ).json()["id"]
    revised = api.post(
        f"/v1/experiments/{eid}/decisions",
        headers=pm,
        json={
            "type": "revise_plan",
            "rationale": "uit de buurtavond",
            "description": "Bewoners beheren de speeltuin een jaar lang.",
            "indicators": [{"name": "kinderen per middag", "target": 20}],
            "budget": [{"source": "sociaal domein", "amount_eur": 8000}],
        },
    )
    assert revised.status_code == 200, revised.text
    invited = api.post(
        "/v1/invitations",
        headers=pm,
        json={
            "role": "resident",
            "person": {"name": "Fatima el Amrani", "contact": "fatima@example.nl"},
            "experiment_id": eid,
        },
    ).json()
    assert invited["delivered"] == "email"
    link = smtp.inbox.link("fatima@example.nl", "/invite/")
    # The round asks every resident invited: the one just invited.
    opened = api.post(
        f"/v1/experiments/{eid}/decisions",
        headers=pm,
        json={
            "type": "open_endorsement",
            "rationale": "op de bewonersavond besproken",
            "closes_on": round_closing_on(14),
            "threshold": {"share": 1.0},
        },
    )
    assert opened.status_code == 200, opened.text
    # The mail is read later than this: the page it opens shows the round once projected.
    api.get(
        f"/v1/experiments/{eid}", headers=pm, params={"min_position": opened.json()["position"]}
    ).raise_for_status()

    resident = browser.new_context(base_url=live_service.base_url, locale="nl-NL").new_page()
    resident.goto(link)
    expect(resident.get_by_text("Welkom, Fatima el Amrani")).to_be_visible()
    check_accessible(resident, "mailed invitation")
    resident.get_by_role("button", name="Accepteren en inloggen").click()
    expect(resident.get_by_role("heading", name="Speeltuin aan de Zambesidreef")).to_be_visible()
    # One click, as the invitation promised.
    resident.get_by_role("button", name="Ik steun dit plan").click()
    expect(resident.get_by_text("Onderschreven door bewoners")).to_be_visible()
    expect(resident.get_by_text("gehaald: bewoners steunen het plan")).to_be_visible()
    expect(resident.get_by_text("Uw stem: Ik steun dit plan")).to_be_visible()
    resident.screenshot(path=SCREENSHOTS / "invited-resident-endorsed.png", full_page=True)
    # The link worked once.
    again = browser.new_context(base_url=live_service.base_url, locale="nl-NL").new_page()
    again.goto(link)
    expect(again.get_by_role("button", name="Accepteren en inloggen")).to_have_count(0)
    resident.context.close()
    again.context.close()
