""" "Wacht op u" in Chromium: a manager sees the plan a new experiment waits for and its round,
a resident the vote that waits on residents; the header counts them; axe finds nothing."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.browser.test_pages import sign_in
from tests.builders import round_closing_on
from tests.conftest import LiveService


def _experiment(api: httpx.Client, pm: dict[str, str], title: str) -> str:
    started = api.post(
        "/v1/experiments",
        headers=pm,
        json={
            "neighbourhood": {"code": "WK034404", "name": "Lunetten", "kind": "wijk"},
            "title": title,
            "question": "Helpt het?",
            "residents_agenda": "Bewoners vroegen erom.",
            "themes": ["health"],
        },
    )
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


def test_a_manager_and_a_resident_see_what_waits_on_them(
    browser: Browser, live_service: LiveService
) -> None:
    api = httpx.Client(base_url=live_service.base_url, timeout=30)
    pm = {"Authorization": f"Bearer {live_service.tokens['pm']}"}
    needs_plan = _experiment(api, pm, "Een moestuin bij de school")
    in_round = _experiment(api, pm, "Bankjes in Lunetten")
    for body in (
        {
            "type": "revise_plan",
            "rationale": "buurtgesprek",
            "description": "Vier bankjes",
            "indicators": [{"name": "bankjes", "target": 4}],
        },
        {
            "type": "open_endorsement",
            "rationale": "bewonersavond",
            "closes_on": round_closing_on(14),
            "threshold": {"count": 3},
        },
    ):
        answer = api.post(f"/v1/experiments/{in_round}/decisions", headers=pm, json=body)
        assert answer.status_code == 200, answer.text

    manager = sign_in(browser, live_service, "pm")
    manager.get_by_role("link", name="Wacht op u").click()
    expect(manager.get_by_role("heading", name="Wacht op u")).to_be_visible()
    plan_row = manager.get_by_role("row").filter(has_text="Een moestuin bij de school")
    expect(plan_row).to_contain_text("een plan")
    expect(plan_row).to_contain_text("programmamanager")
    expect(plan_row.get_by_role("link")).to_have_attribute("href", f"/experiments/{needs_plan}")
    expect(manager.get_by_role("row").filter(has_text="Bankjes in Lunetten")).to_have_count(0)
    check_accessible(manager, "manager waiting for you")
    manager.get_by_label("wat op iemand wacht").check()
    manager.get_by_role("button", name="Tonen").click()
    expect(manager.get_by_role("row").filter(has_text="Bankjes in Lunetten")).to_contain_text(
        "de stemmen van bewoners over het plan"
    )
    manager.screenshot(path=SCREENSHOTS / "waiting-for-anyone.png", full_page=True)

    resident = sign_in(browser, live_service, "resident")
    count = resident.get_by_role("link", name="Wacht op u")
    expect(count).to_contain_text("(")
    count.click()
    row = resident.get_by_role("row").filter(has_text="Bankjes in Lunetten")
    expect(row).to_contain_text("de stemmen van bewoners over het plan")
    expect(resident.get_by_role("row").filter(has_text="Een moestuin bij de school")).to_have_count(
        0
    )
    check_accessible(resident, "resident waiting for you")
    resident.screenshot(path=SCREENSHOTS / "waiting-for-you-resident.png", full_page=True)
    row.get_by_role("link", name="Bankjes in Lunetten").click()
    expect(resident.get_by_role("button", name="Ik steun dit plan")).to_be_visible()
    for page in (manager, resident):
        page.context.close()
