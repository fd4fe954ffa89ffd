"""`/admin/integrations`: the linked systems that send signed webhooks for the municipality,
and the subscriptions through which wijklab sends events out. A secret is shown once, when
it is made or renewed; renewing keeps the old secret valid for a day (so the other side can
switch), or not at all when it leaked."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission
from domain.errors import DomainError
from domain.subscriptions import EVENT_TYPES
from services.stores import subscriptions as outbound
from services.stores.integrations import ROTATION_GRACE
from services.ui.csrf import Form
from services.ui.forms import error_params
from services.ui.rendering import PageError, redirect, render
from services.ui.session import require, services_of

router = APIRouter(include_in_schema=False)


@router.get("/admin/integrations", response_class=HTMLResponse)
async def integrations_page(request: Request) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    return render(
        request,
        "admin_integrations.html",
        {
            "integrations": await run_in_threadpool(
                services.integrations.list, principal.municipality
            ),
            "subscriptions": await run_in_threadpool(
                services.subscriptions.list, principal.municipality
            ),
            "event_types": EVENT_TYPES,
            "base_url": services.settings.base_url,
            "grace_hours": int(ROTATION_GRACE.total_seconds() // 3600),
            "error": request.query_params.get("error"),
            "field": request.query_params.get("field"),
            "done": request.query_params.get("done"),
        },
        principal=principal,
    )


@router.post("/admin/integrations", response_class=HTMLResponse)
async def create(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    if principal.municipality is None:
        raise PageError(403, "forbidden")
    services = services_of(request)
    name = str(form.get("name") or "").strip()
    try:
        secret = await run_in_threadpool(services.integrations.create, name, principal.municipality)
    except DomainError as error:
        return redirect("/admin/integrations?" + urlencode(error_params(error)))
    return render(
        request,
        "admin_secret.html",
        {"kind": "integration", "secret": secret, "name": name, "back": "/admin/integrations"},
        principal=principal,
    )


@router.post("/admin/integrations/{name}/rotation", response_class=HTMLResponse)
async def rotate(request: Request, name: str, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    immediate = form.get("immediate") == "yes"
    grace = timedelta(0) if immediate else ROTATION_GRACE
    try:
        secret = await run_in_threadpool(
            services.integrations.rotate, name, grace, principal.municipality
        )
    except DomainError:
        raise PageError(404, "not_found") from None
    return render(
        request,
        "admin_secret.html",
        {
            "kind": "rotated_now" if immediate else "rotated",
            "secret": secret,
            "name": name,
            "back": "/admin/integrations",
        },
        principal=principal,
    )


@router.post("/admin/integrations/{name}/revoke")
async def revoke(request: Request, name: str, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    if not await run_in_threadpool(services.integrations.revoke, name, principal.municipality):
        raise PageError(404, "not_found")
    return redirect("/admin/integrations?done=revoked")


@router.post("/admin/subscriptions", response_class=HTMLResponse)
async def subscribe(request: Request, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    body: dict[str, object] = {
        "url": str(form.get("url") or ""),
        "event_types": [t for t in EVENT_TYPES if form.get(f"event_{t}") == "yes"],
    }
    if str(form.get("experiment_id") or "").strip():
        body["experiment_id"] = str(form.get("experiment_id")).strip()
    try:
        made = await run_in_threadpool(services.subscribing.subscribe, principal, body)
    except DomainError as error:
        return redirect("/admin/integrations?" + urlencode(error_params(error)) + "#outbound")
    return render(
        request,
        "admin_secret.html",
        {
            "kind": "subscription",
            "secret": made.secret,
            "name": made.subscription.url,
            "back": "/admin/integrations",
        },
        principal=principal,
    )


@router.post("/admin/subscriptions/{subscription_id}/rotation", response_class=HTMLResponse)
async def rotate_subscription(request: Request, subscription_id: UUID, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    immediate = form.get("immediate") == "yes"
    grace = timedelta(0) if immediate else outbound.ROTATION_GRACE
    secret = await run_in_threadpool(
        services.subscriptions.rotate, subscription_id, principal.municipality, grace
    )
    if secret is None:
        raise PageError(404, "not_found")
    found = await run_in_threadpool(
        services.subscriptions.get, subscription_id, principal.municipality
    )
    return render(
        request,
        "admin_secret.html",
        {
            "kind": "rotated_now" if immediate else "rotated",
            "secret": secret,
            "name": found.url if found else "",
            "back": "/admin/integrations",
        },
        principal=principal,
    )


@router.post("/admin/subscriptions/{subscription_id}/delete")
async def delete_subscription(request: Request, subscription_id: UUID, form: Form) -> Response:
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    if not await run_in_threadpool(
        services.subscriptions.delete, subscription_id, principal.municipality
    ):
        raise PageError(404, "not_found")
    return redirect("/admin/integrations?done=deleted#outbound")


@router.get("/admin/subscriptions/{subscription_id}", response_class=HTMLResponse)
async def deliveries_page(
    request: Request, subscription_id: UUID, cursor: str | None = None
) -> Response:
    """A subscription's log of deliveries, newest first, each with its attempts; a failed
    one can be tried again over the API."""
    principal = await require(request, Permission.MANAGE_KEYS)
    services = services_of(request)
    found = await run_in_threadpool(
        services.subscriptions.get, subscription_id, principal.municipality
    )
    if found is None:
        raise PageError(404, "not_found")

    def load() -> tuple[list[dict[str, object]], str | None]:
        page, next_cursor = services.deliveries.page(subscription_id, cursor=cursor or None)
        rows = [{"d": d, "attempts": services.deliveries.attempts_of(d.id)} for d in page]
        return rows, next_cursor

    rows, next_cursor = await run_in_threadpool(load)
    return render(
        request,
        "admin_deliveries.html",
        {
            "subscription": found,
            "rows": rows,
            "next_url": (
                f"/admin/subscriptions/{subscription_id}?{urlencode({'cursor': next_cursor})}"
                if next_cursor
                else None
            ),
        },
        principal=principal,
    )
