"""The pages: plain forms that work without JavaScript, on the same paths of decision as the
API (every form post becomes the same decision an API call would). One module per page."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from domain.errors import InvalidInput
from projections.queries import ReadModelsUnavailable
from services.api.errors import domain_response, error_response
from services.ui.charts import STYLESHEET
from services.ui.pages import (
    actions,
    admin,
    admin_integrations,
    admin_keys,
    admin_providers,
    dev_mail,
    experiment,
    invite,
    library,
    overview,
    programmes,
    reminders,
    sign_in,
    sign_in_email,
    sign_in_oidc,
)
from services.ui.rendering import PageError, redirect, render

STATIC = Path(__file__).parent.parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and their error pages on the app."""
    for page in (
        sign_in,
        sign_in_email,
        sign_in_oidc,
        invite,
        overview,
        experiment,
        actions,
        library,
        programmes,
        dev_mail,
        reminders,
        admin,
        admin_keys,
        admin_integrations,
        admin_providers,
    ):
        app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/charts.css", include_in_schema=False)
    async def chart_styles() -> Response:
        """The charts' stylesheet, taken out of their SVG (see `services.ui.charts`)."""
        return Response(
            STYLESHEET,
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # Paths answered in the API's error shape, not with a page: the API and the open data.
    API_PATHS = ("/v1/", "/open/")

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> Response:
        if error.status == 401:
            return redirect("/sign-in")
        return render(request, "error.html", {"message": error.key}, status=error.status)

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, error: InvalidInput) -> Response:
        """A page asked with a value it cannot use (a cursor it never handed out, say)."""
        if request.url.path.startswith(API_PATHS):
            return domain_response(error)
        return render(request, "error.html", {"message": "check_field"}, status=422)

    @app.exception_handler(ReadModelsUnavailable)
    async def not_ready(request: Request, error: ReadModelsUnavailable) -> Response:
        if request.url.path.startswith(API_PATHS):
            return error_response(503, error.code, error.message, headers={"Retry-After": "1"})
        response = render(request, "error.html", {"message": "not_ready"}, status=503)
        response.headers["Retry-After"] = "5"
        return response
