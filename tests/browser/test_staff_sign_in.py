"""The staff sign-in in a real browser: an admin registers the municipality's OpenID provider
on the admin page, and a programme manager then signs in with their municipal account (a
real OpenID provider over HTTP) and lands on the experiments, signed in by name."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import SCREENSHOTS, check_accessible
from tests.conftest import LiveService
from tests.oidc_provider import running


def offline(page: Page) -> Page:
    """The provider's own pages ask a CDN for a stylesheet; nothing here leaves the machine."""

    def refuse(route: Route) -> None:
        route.abort()

    page.context.route("https://**/*", refuse)
    return page


def test_an_admin_registers_the_provider_and_staff_sign_in_through_it(
    browser: Browser, live_service: LiveService
) -> None:
    with running() as provider:
        provider.user("petra", name="Petra de Vries", roles=["wijkteam"])
        admin = browser.new_context(base_url=live_service.base_url, locale="nl-NL").new_page()
        admin.goto("/sign-in")
        admin.get_by_label("API-sleutel").fill(live_service.tokens["admin"])
        admin.get_by_role("button", name="Inloggen").click()
        admin.get_by_role("link", name="Inlogdiensten").click()
        expect(admin.get_by_role("heading", name="Inlogdiensten van utrecht")).to_be_visible()
        admin.locator("#name").fill("utrecht-medewerkers")
        admin.locator("#issuer").fill(provider.issuer)
        admin.locator("#client_id").fill("wijklab")
        admin.locator("#client_secret").fill("geheim-van-de-gemeente")
        admin.get_by_label("programmamanager").fill("wijkteam")
        admin.get_by_role("button", name="Toevoegen").click()
        expect(admin.get_by_text("De inlogdienst is toegevoegd.")).to_be_visible()
        expect(
            admin.get_by_text(f"{live_service.base_url}/sign-in/oidc/utrecht-medewerkers/callback")
        ).to_be_visible()
        expect(admin.get_by_text("geheim-van-de-gemeente")).to_have_count(0)
        check_accessible(admin, "admin identity providers")
        admin.screenshot(path=SCREENSHOTS / "admin-identity-providers.png", full_page=True)

        staff = offline(
            browser.new_context(base_url=live_service.base_url, locale="nl-NL").new_page()
        )
        staff.goto("/sign-in")
        staff.get_by_role("link", name="Inloggen met uw account bij utrecht").click()
        expect(staff.get_by_role("heading", name="Authorize Client")).to_be_visible()
        staff.locator("input[name=sub]").fill("petra")
        staff.get_by_role("button", name="Authorize").click()
        expect(staff.get_by_role("heading", name="Experimenten", exact=True)).to_be_visible()
        expect(staff.get_by_text("Petra de Vries")).to_be_visible()
        # … and takes a decision: she starts an experiment, recorded under her own id.
        staff.get_by_label("Vraag of initiatief van bewoners").fill(
            "Bewoners van Kanaleneiland willen een buurtmoestuin."
        )
        staff.get_by_role("textbox", name="Titel", exact=True).fill("Moestuin Kanaleneiland")
        staff.get_by_label("Leervraag").fill("Brengt een moestuin buren samen?")
        staff.get_by_role("textbox", name="Naam", exact=True).fill("Kanaleneiland")
        staff.get_by_label("Code (CBS-code of korte naam)").fill("WK034406")
        staff.get_by_label("sociaal functioneren").check()
        staff.get_by_role("button", name="Starten").click()
        expect(staff.get_by_role("heading", name="Moestuin Kanaleneiland")).to_be_visible()
        expect(staff.get_by_text("Petra de Vries").first).to_be_visible()
        staff.screenshot(path=SCREENSHOTS / "staff-signed-in.png", full_page=True)

        # The admin removes the provider: Petra's session ends, and the button is gone.
        admin.get_by_role("button", name="utrecht-medewerkers verwijderen").click()
        expect(admin.get_by_text("De inlogdienst is verwijderd")).to_be_visible()
        staff.goto("/experiments")
        expect(staff.get_by_role("heading", name="Inloggen")).to_be_visible()
        expect(staff.get_by_role("link", name="Inloggen met uw account bij utrecht")).to_have_count(
            0
        )
        admin.context.close()
        staff.context.close()
