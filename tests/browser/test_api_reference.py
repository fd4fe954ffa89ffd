"""The API reference at /docs works offline: every script and style comes from wijklab
itself, under the same content security policy as the pages, and it shows the API."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import LiveService


def test_the_reference_loads_from_wijklab_alone(
    browser: Browser, live_service: LiveService
) -> None:
    page = browser.new_page()
    origin = urlparse(live_service.base_url).netloc
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    answer = page.goto(f"{live_service.base_url}/docs")
    assert answer is not None
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="wijklab")).to_be_visible()
    expect(page.get_by_text("/v1/experiments/{experiment_id}/decisions").first).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "api-reference.png", full_page=False)
    assert {urlparse(url).netloc for url in requested} == {origin}, requested
    assert problems == [], requested
    assert page.request.get(f"{live_service.base_url}/redoc").status == 404
