"""Debian's Chromium driven by Playwright. Without Chromium the browser tests skip, unless CI
(or WIJKLAB_REQUIRE_BROWSER=1) says they must run."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

SCREENSHOTS = Path(__file__).parent / "screenshots"
# A page waits on the worker and the projector, which share two cores with another test
# module under `make test`: give an expectation 15 s, not Playwright's 5.
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true" or os.environ.get("WIJKLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(message + ", and CI requires the browser tests")
        pytest.skip(message)
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


# WCAG 2.1 A and AA, the level Dutch municipalities must meet by law.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_REPORT = SCREENSHOTS / "axe.txt"


def check_accessible(page: Page, name: str) -> None:
    """Run axe-core on the page as it is shown now: no violation of WCAG 2.1 A or AA."""
    page.wait_for_load_state()  # a page still arriving has no document for axe to read
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    page.screenshot(path=SCREENSHOTS / f"a11y-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png")
    with AXE_REPORT.open("a", encoding="utf-8") as report:
        report.write(f"{name}: {results.violations_count} violations ({page.url})\n")
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
