"""Programmes on the pages: the municipality's programmes and a form to start one; one
programme with its experiments by stage, its funding allocated against planned (a picture and
the numbers), its experiments' indicators, forms for its decisions, and the council's yearly
report as HTML or PDF — for the pages' session, and for API keys at
`/v1/programmes/{id}/report` (by `Accept`)."""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission
from domain.errors import DomainError, InvalidInput
from domain.programme import ProgrammeDecision, ProgrammeNotFound
from projections.queries import ProjectionLagging
from services.api.deps import Reader, ServicesDep, actor_of
from services.api.errors import ApiError
from services.bootstrap import Services
from services.ui.csrf import Form
from services.ui.forms import error_params
from services.ui.i18n import Lang
from services.ui.rendering import PageError, language, redirect, render
from services.ui.report import PdfUnavailable, funding_picture, report_html, report_pdf
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)

FUNDING_ROWS = 3


@router.get("/programmes", response_class=HTMLResponse)
async def programmes_page(request: Request) -> Response:
    principal = await require(request)
    services = services_of(request)
    found = await run_in_threadpool(services.read_models.programmes, principal.municipality)
    return render(
        request,
        "programmes.html",
        {
            "programmes": found,
            "may_create": principal.may(Permission.DECIDE)
            and principal.role.value == "programme_manager",
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
            "rows": range(1, FUNDING_ROWS + 1),
            "nonce": uuid.uuid4().hex,
        },
        principal=principal,
    )


def _create_body(form: dict[str, Any]) -> dict[str, Any]:
    """The start form as the API's body: codes one per line or comma-separated."""
    codes = [c.strip() for c in str(form.get("neighbourhoods") or "").replace(",", "\n").split()]
    funding = []
    for n in range(1, FUNDING_ROWS + 1):
        source = str(form.get(f"funding_source_{n}") or "").strip()
        year = str(form.get(f"funding_year_{n}") or "").strip()
        amount = (
            str(form.get(f"funding_amount_{n}") or "").strip().replace(".", "").replace(",", ".")
        )
        if source or year or amount:
            funding.append(
                {
                    "source": source,
                    "year": _year(year),
                    "amount_eur": amount,
                }
            )
    return {
        "name": form.get("name"),
        "description": form.get("description"),
        "neighbourhoods": [c for c in codes if c],
        "period": {
            "from_year": _year(form.get("from_year")),
            "to_year": _year(form.get("to_year")),
        },
        "funding": funding,
    }


def _year(value: Any) -> Any:
    text = str(value or "").strip()
    # Only ASCII digits, four at most: "²" is a digit to Python, and no year.
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= 4 else text


@router.post("/programmes")
async def create_programme(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.DECIDE)
    services = services_of(request)
    if principal.municipality is None:
        raise PageError(403, "forbidden")
    try:
        answer = await services.programmes.create(
            actor_of(principal),
            principal.municipality,
            _create_body(form),
            str(form.get("nonce") or uuid.uuid4().hex),
        )
    except DomainError as error:
        return redirect("/programmes?" + urlencode(error_params(error)))
    return redirect(f"/programmes/{answer.programme['id']}?p={answer.position}&done=1")


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
async def programme_page(request: Request, programme_id: UUID, p: int | None = None) -> Response:
    principal = await require(request)
    services = services_of(request)

    def load() -> dict[str, Any] | None:
        # After a decision, wait briefly for it to show; if it lags, show what there is.
        with contextlib.suppress(ProjectionLagging, InvalidInput):
            services.read_models.wait_for(p, timeout=3)
        return services.read_models.programme(programme_id, principal.municipality)

    found = await run_in_threadpool(load)
    if found is None:
        raise PageError(404, "not_found")
    lang = language(request)
    return render(
        request,
        "programme.html",
        {
            "programme": found,
            "funding_chart": funding_picture(found["funding_by_year"], lang),
            "may_decide": principal.may(Permission.DECIDE)
            and principal.role.value == "programme_manager"
            and found["status"] == "active",
            "years": list(range(found["period"]["from_year"], found["period"]["to_year"] + 1)),
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
            "done": request.query_params.get("done"),
            "nonce": uuid.uuid4().hex,
        },
        principal=principal,
    )


@router.post("/programmes/{programme_id}/decisions")
async def programme_decision(request: Request, programme_id: UUID, form: Form) -> Response:
    principal = await require(request, Permission.DECIDE)
    services = services_of(request)
    kind = str(form.get("type") or "")
    body: dict[str, Any] = {"type": kind, "rationale": form.get("rationale") or ""}
    if kind == "allocate_funding":
        body |= {
            "source": form.get("source"),
            "year": _year(form.get("year")),
            "amount_eur": str(form.get("amount_eur") or "").replace(".", "").replace(",", "."),
        }
    elif kind == "add_neighbourhood":
        body["code"] = form.get("code")
    elif kind == "revise_programme":
        body |= {k: form.get(k) for k in ("name", "description") if form.get(k)}
    try:
        answer = await services.programmes.decide(
            actor_of(principal),
            principal.municipality,
            programme_id,
            body,
            ProgrammeDecision.new_id(str(form.get("nonce") or uuid.uuid4().hex)),
        )
    except ProgrammeNotFound:
        raise PageError(404, "not_found") from None
    except DomainError as error:
        return redirect(f"/programmes/{programme_id}?" + urlencode(error_params(error)))
    return redirect(f"/programmes/{programme_id}?p={answer.position}&done=1")


async def _report(
    services: Services, programme_id: UUID, municipality: str | None, year: int
) -> dict[str, Any]:
    found = await run_in_threadpool(
        services.read_models.programme_report, programme_id, municipality, year
    )
    if found is None:
        raise ProgrammeNotFound(f"programme {programme_id} does not exist")
    period = found["period"]
    if not period["from_year"] <= year <= period["to_year"]:
        raise InvalidInput(
            f"{year} is outside the programme's period {period['from_year']}-{period['to_year']}",
            field="year",
        )
    return found


def _pdf(html: str, year: int) -> Response:
    """The report as a PDF download; raises `PdfUnavailable` where it cannot be drawn."""
    return Response(
        report_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="voortgangsrapportage-{year}.pdf"'},
    )


@router.get("/programmes/{programme_id}/report")
async def report_page(
    request: Request,
    programme_id: UUID,
    year: Annotated[int, Query(ge=2000, le=2100)],
    pdf: bool = False,
) -> Response:
    """The council's report for a signed-in reader: HTML, or PDF with `pdf=1`."""
    principal = await require(request)
    services = services_of(request)
    lang = language(request)
    try:
        found = await _report(services, programme_id, principal.municipality, year)
    except ProgrammeNotFound:
        raise PageError(404, "not_found") from None
    except InvalidInput:
        raise PageError(422, "check_field") from None
    if pdf:
        html = await run_in_threadpool(report_html, found, lang, standalone=True)
        try:
            return await run_in_threadpool(_pdf, html, year)
        except PdfUnavailable as missing:
            return Response(str(missing), status_code=503, media_type="text/plain; charset=utf-8")
    return HTMLResponse(await run_in_threadpool(report_html, found, lang, standalone=False))


@router.get("/v1/programmes/{programme_id}/report", tags=["programmes"])
async def report_api(
    programme_id: UUID,
    principal: Reader,
    services: ServicesDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    accept: Annotated[str | None, Header()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """The council's yearly report: HTML (`Accept: text/html`) or PDF (`Accept:
    application/pdf`), in Dutch unless English is asked for."""
    lang: Lang = "en" if (accept_language or "").lower().startswith("en") else "nl"
    found = await _report(services, programme_id, principal.municipality, year)
    if "application/pdf" in (accept or ""):
        html = await run_in_threadpool(report_html, found, lang, standalone=True)
        try:
            return await run_in_threadpool(_pdf, html, year)
        except PdfUnavailable as missing:
            raise ApiError(503, "pdf_unavailable", str(missing)) from None
    return HTMLResponse(await run_in_threadpool(report_html, found, lang, standalone=True))
