"""One experiment: its cycle, plan, findings, budget, the decisions open to the visitor (and
why the others are not), its timeline, "as it stood on", and its CSV export: the page, its
form post and its export read the same experiment and belong together.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile as StarletteUpload

from domain import indicators, rules
from domain.access import Permission
from domain.errors import DomainError, ExperimentNotFound, InvalidInput, RuleViolation
from domain.evidence import (
    MAX_EVIDENCE_BYTES,
    EvidenceErased,
    EvidenceNotFound,
)
from domain.state import NEXT_STAGE, ExperimentState
from domain.values import Outcome, Stage, Theme
from projections.queries import ProjectionLagging
from services.api.deps import actor_of
from services.bootstrap import Services
from services.stores.evidence import EvidenceFile
from services.ui.charts import indicator_chart
from services.ui.csrf import Form
from services.ui.formatting import Formats
from services.ui.forms import decision_body, end_of_day, error_params
from services.ui.i18n import Lang, translations
from services.ui.rendering import PageError, language, redirect, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)

# Decisions people take on an existing experiment (start has its own form; timers are no one's).
FORM_DECISIONS = (
    "revise_plan",
    "endorse_plan",
    "open_endorsement",
    "endorse",
    "object",
    "record_meeting_vote",
    "co_sign",
    "advance",
    "record_finding",
    "record_lesson",
    "close",
)


# Refusals not worth a line under "not possible now": a stage's decisions in another stage,
# and the single click that rounds replaced.
QUIET_REFUSALS = ("invalid_transition", "endorsement_by_round")


@router.get("/experiments/{experiment_id}", response_class=HTMLResponse)
async def experiment_page(
    request: Request, experiment_id: UUID, at: str | None = None, p: int | None = None
) -> Response:
    principal = await require(request)
    services = services_of(request)
    try:
        moment = end_of_day(at)
    except InvalidInput:
        raise PageError(422, "check_field") from None
    if moment is not None and not principal.may(Permission.READ_PAST_STATE):
        raise PageError(403, "forbidden")
    lang = language(request)

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
        files = services.evidence.files_of(experiment_id)
        registered = services.register.find(
            current["neighbourhood"]["code"], current["municipality"]
        )
        shared = services.read_models.public_summary(experiment_id) if moment is None else None
        published = {one["lesson_id"]: one for one in (shared or {}).get("lessons", [])}
        return {
            "state": state,
            "history": history,
            "files": files,
            "published": published,
            "registered": registered,
        }

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
    may_share = any(
        v.type.value == "publish_lesson" and v.allowed
        for v in (
            rules.assess(state, principal.role) if state is not None and moment is None else []
        )
    ) and principal.may(Permission.DECIDE)
    measuring = _measuring(state, lang)
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
            "files": data["files"],
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
            "may_see_past": principal.may(Permission.READ_PAST_STATE),
            "quiet_refusals": QUIET_REFUSALS,
            "measuring": measuring,
            "registered": data["registered"],
            "shareable": [h for h in history if _shareable(h)] if may_share else [],
            "all_findings": [
                h | {"own_words": _own_words(h)} for h in history if h["type"] == "record_finding"
            ],
            "published": data["published"],
            "evidence_levels": ("described", "substantiated", "effective"),
            "my_vote": state.endorsement.votes.get(principal.actor_id)
            if state is not None and state.endorsement is not None
            else None,
        },
        principal=principal,
    )


@router.get("/evidence/{evidence_id}")
async def evidence_file(request: Request, evidence_id: UUID) -> Response:
    """A file a decision rests on, for a signed-in reader; the read is recorded."""
    principal = await require(request)
    services = services_of(request)
    try:
        found, data = await run_in_threadpool(services.evidence.download, principal, evidence_id)
    except EvidenceNotFound:
        raise PageError(404, "not_found") from None
    except EvidenceErased:
        raise PageError(410, "evidence_erased") from None
    return Response(
        data,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.download_name}"'},
    )


def _measuring(state: ExperimentState | None, lang: Lang) -> list[dict[str, Any]]:
    """Each indicator of the plan with its measurements and, once measured, its picture."""
    if state is None:
        return []
    _ = translations(lang).gettext
    labels = {
        "cycle": _("cycle"),
        "residents": _("residents"),
        "figures": _("figures (data, professionals)"),
        "baseline": _("baseline"),
        "target": _("target"),
    }
    number = Formats(lang).number
    found = []
    for item in indicators.report(state.plan.indicators, state.measurements):
        cycles = len({m["cycle"] for m in item["series"]})
        described = _(
            "Line chart of %(name)s: %(count)s measurements over %(cycles)s cycles, "
            "residents' and the figures' against the baseline and the target; the numbers "
            "are in the table below."
        ) % {"name": item["name"], "count": len(item["series"]), "cycles": cycles}
        chart = indicator_chart(item, labels | {"description": described}, number)
        found.append(item | {"chart": chart})
    return found


def _own_words(entry: dict[str, Any]) -> bool:
    """Whether an entry's text is a person's own (a resident's is, unless they said
    otherwise): never shared outside the municipality."""
    personal = entry["payload"].get("personal")
    return personal is True or (personal is None and entry["actor"]["role"] == "resident")


def _shareable(entry: dict[str, Any]) -> bool:
    """A lesson that may go to the commons (the decision checks it again)."""
    return entry["type"] == "record_lesson" and not _own_words(entry)


def _next_stage(state: ExperimentState) -> str:
    return NEXT_STAGE[state.stage].value


@router.post("/experiments/{experiment_id}/decisions")
async def take_decision(request: Request, experiment_id: UUID, form: Form) -> Response:
    principal = await require(request, Permission.DECIDE)
    body = decision_body(form)
    services = services_of(request)
    attached = await _attached(form)
    kept = None
    try:
        if attached is not None:
            name, data = attached
            kept = await run_in_threadpool(
                services.evidence.upload, principal, experiment_id, title=name, data=data
            )
            body["evidence"] = [str(kept.id)]
        answer = await services.decisions.decide(
            actor_of(principal),
            principal.municipality,
            experiment_id,
            body,
            decision_id=services.decisions.decision_id(str(form.get("nonce") or uuid.uuid4())),
            source="api",
            known_keys=principal.known_keys,
            organisation=principal.organisation,
        )
    except (RuleViolation, InvalidInput) as error:
        await _forget(services, kept)
        return redirect(f"/experiments/{experiment_id}?" + urlencode(error_params(error)))
    except ExperimentNotFound:
        await _forget(services, kept)
        raise PageError(404, "not_found") from None
    except DomainError as error:
        await _forget(services, kept)
        return redirect(f"/experiments/{experiment_id}?" + urlencode(error_params(error)))
    return redirect(f"/experiments/{experiment_id}?p={answer.position}&done=1")


async def _attached(form: dict[str, Any]) -> tuple[str, bytes] | None:
    """The file sent with a decision's form, if one was chosen: its name (the title it is
    kept under) and at most one byte more than may be kept (the upload says it is too big)."""
    upload = form.get("evidence_file")
    if not isinstance(upload, StarletteUpload) or not upload.filename:
        return None
    data = await upload.read(MAX_EVIDENCE_BYTES + 1)
    return upload.filename[:200], data


async def _forget(services: Services, kept: EvidenceFile | None) -> None:
    """A file kept for a decision that was then refused goes again: nothing stays behind."""
    if kept is not None:
        await run_in_threadpool(services.evidence.forget, kept)


@router.get("/experiments/{experiment_id}/decisions.csv")
async def export_csv(request: Request, experiment_id: UUID) -> Response:
    principal = await require(request)
    services = services_of(request)
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
            experiment_id, principal.municipality, language(request)
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="besluiten-{experiment_id}.csv"'},
    )
