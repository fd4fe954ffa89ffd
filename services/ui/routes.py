"""The pages: plain forms that work without JavaScript, on the same paths of decision as the
API (every form post becomes the same decision an API call would)."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from domain import rules
from domain.access import Permission, Principal
from domain.errors import DomainError, ExperimentNotFound, InvalidInput, RuleViolation
from domain.state import NEXT_STAGE, ExperimentState
from domain.values import NeighbourhoodKind, Outcome, Role, Stage, Theme
from projections.queries import ProjectionLagging, ReadModelsUnavailable
from services.api.deps import actor_of, client_address
from services.api.errors import error_response
from services.bootstrap import Services
from services.infra.rate_limits import TooManyRequests
from services.ui.i18n import AGENDAS, LANG_COOKIE, Translator, negotiate

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SESSION_COOKIE = "wijklab_session"
CSRF_COOKIE = "wijklab_csrf"
COOKIE_AGE = 12 * 3600
# Decisions people take on an existing experiment (start has its own form; timers are no one's).
FORM_DECISIONS = (
    "revise_plan",
    "endorse_plan",
    "advance",
    "record_finding",
    "record_lesson",
    "close",
)


class PageError(Exception):
    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _translator(request: Request) -> Translator:
    return Translator(
        negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    )


def _csrf(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    t = _translator(request)
    token = _csrf(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": t.lang,
            "csrf": token,
            "principal": principal,
            "Role": Role,
            "path": request.url.path,
            **context,
        },
        status_code=status,
    )
    if request.cookies.get(CSRF_COOKIE) != token:
        _set_cookie(response, request, CSRF_COOKIE, token)
    return response


def _set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    """Session and form cookies: never readable by scripts, never sent from other sites."""
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=_secure(request), max_age=COOKIE_AGE
    )


async def _principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await run_in_threadpool(_services(request).keys.authenticate, token)


async def _require(request: Request, permission: Permission = Permission.READ) -> Principal:
    principal = await _principal(request)
    if principal is None:
        raise PageError(401, "sign_in")
    if not principal.may(permission):
        raise PageError(403, "forbidden")
    return principal


async def _form(request: Request) -> dict[str, Any]:
    """The posted form, after checking its CSRF token against the cookie."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise PageError(403, "bad_csrf")
    return {key: form.getlist(key) if key in ("themes",) else form.get(key) for key in form}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- sign-in, language ------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    return _redirect("/experiments" if await _principal(request) else "/sign-in")


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    return render(request, "sign_in.html", {"error": None})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    token = str(form.get("token") or "").strip()
    limits = _services(request).rate_limits
    client = client_address(request)
    try:
        limits.check_auth(client)
    except TooManyRequests:
        return render(request, "sign_in.html", {"error": "too_many_failures"}, status=429)
    principal = (
        await run_in_threadpool(_services(request).keys.authenticate, token) if token else None
    )
    if principal is None:
        limits.auth_failed(client)
        return render(request, "sign_in.html", {"error": "bad_token"}, status=401)
    response = _redirect("/experiments")
    _set_cookie(response, request, SESSION_COOKIE, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await _form(request)
    response = _redirect("/sign-in")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/language/{lang}")
async def choose_language(request: Request, lang: str, next: str = "/") -> Response:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = _redirect(target)
    if lang in ("nl", "en"):
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
    return response


# --- overview ---------------------------------------------------------------------------


@router.get("/experiments", response_class=HTMLResponse)
async def overview(
    request: Request,
    neighbourhood: str | None = None,
    theme: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    p: int | None = None,
) -> Response:
    principal = await _require(request)
    services = _services(request)
    filters = {
        "neighbourhood": neighbourhood or None,
        "theme": theme or None,
        "stage": stage or None,
        "status": status or None,
    }

    def load() -> dict[str, Any]:
        with contextlib.suppress(ProjectionLagging, InvalidInput):
            services.read_models.wait_for(p, timeout=2)
        page = services.read_models.experiments(
            principal.municipality, cursor=cursor or None, limit=25, **filters
        )
        return {
            "page": page,
            "counts": services.read_models.stage_counts(principal.municipality),
            "neighbourhoods": services.read_models.neighbourhoods(principal.municipality),
        }

    data = await run_in_threadpool(load)
    next_url = None
    if data["page"].next_cursor:
        next_url = "/experiments?" + urlencode(
            {**{k: v for k, v in filters.items() if v}, "cursor": data["page"].next_cursor}
        )
    return render(
        request,
        "overview.html",
        {
            **data,
            "filters": filters,
            "next_url": next_url,
            "themes": list(Theme),
            "stages": list(Stage),
            "kinds": list(NeighbourhoodKind),
            "may_start": principal.may(Permission.START_EXPERIMENT)
            and principal.municipality is not None,
            "nonce": uuid.uuid4().hex,
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
        },
        principal=principal,
    )


@router.post("/experiments")
async def start_experiment(request: Request) -> Response:
    principal = await _require(request, Permission.START_EXPERIMENT)
    form = await _form(request)
    if principal.municipality is None:
        raise PageError(403, "forbidden")
    act_days = str(form.get("act_days") or "").strip()
    body = {
        "neighbourhood": {
            "code": form.get("neighbourhood_code"),
            "name": form.get("neighbourhood_name"),
            "kind": form.get("neighbourhood_kind"),
        },
        "title": form.get("title"),
        "question": form.get("question"),
        "residents_agenda": form.get("residents_agenda"),
        "themes": form.get("themes") or [],
        "act_days": int(act_days) if act_days.isdigit() else (act_days or None),
    }
    try:
        answer = await _services(request).decisions.start(
            actor_of(principal),
            principal.municipality,
            body,
            str(form.get("nonce") or uuid.uuid4()),
            principal.known_keys,
        )
    except DomainError as error:
        return _redirect("/experiments?" + urlencode(_error_params(error)))
    return _redirect(f"/experiments/{answer.experiment['id']}?p={answer.position}")


def _error_params(error: DomainError) -> dict[str, str]:
    code = "idempotency_key_reused" if error.code == "decision_id_reused" else error.code
    params = {"error": code}
    if isinstance(error, InvalidInput) and error.field:
        params["field"] = error.field
    return params


# --- one experiment -----------------------------------------------------------------------


def _moment(day: str | None) -> datetime | None:
    """The end of a chosen day, for 'as it stood on'."""
    if not day:
        return None
    try:
        chosen = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput("choose a date as YYYY-MM-DD", field="at") from None
    return datetime.combine(chosen.date(), time.max, tzinfo=UTC)


@router.get("/experiments/{experiment_id}", response_class=HTMLResponse)
async def experiment_page(
    request: Request, experiment_id: UUID, at: str | None = None, p: int | None = None
) -> Response:
    principal = await _require(request)
    services = _services(request)
    try:
        moment = _moment(at)
    except InvalidInput:
        raise PageError(422, "check_field") from None
    lang = _translator(request).lang

    def load() -> dict[str, Any]:
        # After a decision, wait briefly for it to show; if it lags, show what there is.
        with contextlib.suppress(ProjectionLagging, InvalidInput):
            services.read_models.wait_for(p, timeout=3)
        current = services.read_models.experiment(experiment_id, principal.municipality)
        if current is None:
            raise PageError(404, "not_found")
        services.access.record(
            principal,
            "past_state" if moment is not None else "history",
            municipality=current["municipality"],
            experiment_id=experiment_id,
            detail={"via": "page"},
        )
        history: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = services.read_models.decisions(
                experiment_id, principal.municipality, cursor=cursor, limit=200, language=lang
            )
            history += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        state = ExperimentState.from_dict(current)
        if moment is not None:
            try:
                state = services.experiments.experiment_at(experiment_id, moment)
            except ExperimentNotFound:
                state = None  # type: ignore[assignment]
            history = [h for h in history if datetime.fromisoformat(h["at"]) <= moment]
        return {"state": state, "history": history}

    data = await run_in_threadpool(load)
    state: ExperimentState | None = data["state"]
    history: list[dict[str, Any]] = data["history"]
    verdicts = [
        v
        for v in (
            rules.assess(state, principal.role) if state is not None and moment is None else []
        )
        if v.type.value in FORM_DECISIONS
    ]
    if not principal.may(Permission.DECIDE):
        verdicts = []
    cycle = state.cycle if state else 0
    findings = [h for h in history if h["type"] == "record_finding" and h["cycle"] == cycle]
    measured: dict[str, str] = {}
    for finding in findings:
        if finding["payload"].get("indicator") and finding["payload"].get("value") is not None:
            measured[finding["payload"]["indicator"]] = finding["payload"]["value"]
    return render(
        request,
        "experiment.html",
        {
            "experiment_id": experiment_id,
            "state": state,
            "history": list(reversed(history)),
            "findings": findings,
            "measured": measured,
            "verdicts": verdicts,
            "at": at,
            "today": datetime.now(UTC).date().isoformat(),
            "stages": list(Stage),
            "themes": list(Theme),
            "outcomes": list(Outcome),
            "nonce": uuid.uuid4().hex,
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
            "done": request.query_params.get("done"),
            "next_stage": None if state is None else _next_stage(state),
        },
        principal=principal,
    )


def _next_stage(state: ExperimentState) -> str:
    return NEXT_STAGE[state.stage].value


def _rows(form: dict[str, Any], prefix: str, first: str, second: str) -> list[dict[str, Any]]:
    rows = []
    for n in range(1, 6):
        a = str(form.get(f"{prefix}_{first}_{n}") or "").strip()
        b = str(form.get(f"{prefix}_{second}_{n}") or "").strip()
        if a or b:
            rows.append({first: a, second: b})
    return rows


@router.post("/experiments/{experiment_id}/decisions")
async def take_decision(request: Request, experiment_id: UUID) -> Response:
    principal = await _require(request, Permission.DECIDE)
    form = await _form(request)
    kind = str(form.get("type") or "")
    body: dict[str, Any] = {"type": kind, "rationale": form.get("rationale") or ""}
    if kind == "revise_plan":
        body["description"] = form.get("description")
        body["indicators"] = _rows(form, "indicator", "name", "target")
        budget = _rows(form, "budget", "source", "amount_eur")
        for line in budget:
            line["amount_eur"] = line["amount_eur"].replace(",", ".")
        body["budget"] = budget
    elif kind == "advance":
        body["to"] = form.get("to")
    elif kind == "record_finding":
        body["text"] = form.get("text")
        body["source"] = form.get("source")
        body["indicator"] = form.get("indicator") or None
        body["value"] = form.get("value") or None
    elif kind == "record_lesson":
        body["text"] = form.get("text")
        body["themes"] = form.get("themes") or []
    elif kind == "close":
        body["outcome"] = form.get("outcome")
    services = _services(request)
    try:
        answer = await services.decisions.decide(
            actor_of(principal),
            principal.municipality,
            experiment_id,
            body,
            decision_id=services.decisions.decision_id(str(form.get("nonce") or uuid.uuid4())),
            source="api",
            known_keys=principal.known_keys,
        )
    except (RuleViolation, InvalidInput) as error:
        return _redirect(f"/experiments/{experiment_id}?" + urlencode(_error_params(error)))
    except ExperimentNotFound:
        raise PageError(404, "not_found") from None
    except DomainError as error:
        return _redirect(f"/experiments/{experiment_id}?" + urlencode(_error_params(error)))
    return _redirect(f"/experiments/{experiment_id}?p={answer.position}&done=1")


@router.get("/experiments/{experiment_id}/decisions.csv")
async def export_csv(request: Request, experiment_id: UUID) -> Response:
    principal = await _require(request)
    services = _services(request)
    found = await run_in_threadpool(
        services.read_models.experiment, experiment_id, principal.municipality
    )
    if found is None:
        raise PageError(404, "not_found")
    await run_in_threadpool(
        services.access.record,
        principal,
        "export",
        municipality=found["municipality"],
        experiment_id=experiment_id,
        detail={"via": "page"},
    )
    return StreamingResponse(
        services.read_models.decisions_csv(
            experiment_id, principal.municipality, _translator(request).lang
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="besluiten-{experiment_id}.csv"'},
    )


# --- lessons and neighbourhoods -------------------------------------------------------------


@router.get("/lessons", response_class=HTMLResponse)
async def lessons_page(
    request: Request, q: str | None = None, theme: str | None = None, cursor: str | None = None
) -> Response:
    principal = await _require(request)
    services = _services(request)
    page = await run_in_threadpool(
        lambda: services.read_models.lessons(
            principal.municipality,
            q=q or None,
            theme=theme or None,
            cursor=cursor or None,
            limit=25,
            language=_translator(request).lang,
        )
    )
    next_url = None
    if page.next_cursor:
        next_url = "/lessons?" + urlencode(
            {"q": q or "", "theme": theme or "", "cursor": page.next_cursor}
        )
    return render(
        request,
        "lessons.html",
        {
            "page": page,
            "q": q or "",
            "theme": theme or "",
            "themes": list(Theme),
            "next_url": next_url,
        },
        principal=principal,
    )


@router.get("/neighbourhoods", response_class=HTMLResponse)
async def neighbourhoods_page(request: Request) -> Response:
    principal = await _require(request)
    services = _services(request)

    def load() -> dict[str, Any]:
        return {
            "neighbourhoods": services.read_models.neighbourhoods(principal.municipality),
            "themes_stats": {
                t["theme"]: t for t in services.read_models.themes(principal.municipality)
            },
        }

    data = await run_in_threadpool(load)
    return render(
        request,
        "neighbourhoods.html",
        {**data, "agendas": AGENDAS, "stages": list(Stage)},
        principal=principal,
    )


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and their error pages on the app."""
    from fastapi.staticfiles import StaticFiles

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> Response:
        if error.status == 401:
            return _redirect("/sign-in")
        return render(request, "error.html", {"message": error.key}, status=error.status)

    @app.exception_handler(ReadModelsUnavailable)
    async def not_ready(request: Request, error: ReadModelsUnavailable) -> Response:
        if request.url.path.startswith("/v1/"):
            return error_response(503, error.code, error.message, headers={"Retry-After": "1"})
        response = render(request, "error.html", {"message": "not_ready"}, status=503)
        response.headers["Retry-After"] = "5"
        return response
