"""Outbound event subscriptions over the API (admin): made with a secret shown once,
listed and read without it, its secret renewed, deleted."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from services.api import answers
from services.api.deps import KeyAdmin, ServicesDep
from services.api.errors import ApiError
from services.api.schemas import RotationIn, SubscriptionIn
from services.stores.subscriptions import ROTATION_GRACE, Subscription
from workflows.delivery_activities import TemporalDispatch

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"], responses=answers.ERRORS)


def _found(found: Subscription | None, subscription_id: UUID) -> Subscription:
    if found is None:
        raise ApiError(404, "not_found", f"subscription {subscription_id} does not exist")
    return found


@router.post("", status_code=201, response_model=answers.NewSubscription)
async def subscribe(
    body: SubscriptionIn, principal: KeyAdmin, services: ServicesDep
) -> JSONResponse:
    """Subscribe a receiver; the `whsec_` secret is in this answer only."""
    made = await run_in_threadpool(
        services.subscribing.subscribe, principal, body.model_dump(exclude_none=True)
    )
    return JSONResponse(made.to_dict(), status_code=201)


@router.get("", response_model=answers.Page[answers.Subscription])
def list_subscriptions(principal: KeyAdmin, services: ServicesDep) -> dict[str, Any]:
    """The municipality's subscriptions, oldest first (never their secrets)."""
    found = services.subscriptions.list(principal.municipality)
    return {"items": [s.to_dict() for s in found], "next_cursor": None}


@router.get("/{subscription_id}", response_model=answers.Subscription)
def get_subscription(
    subscription_id: UUID, principal: KeyAdmin, services: ServicesDep
) -> dict[str, Any]:
    found = services.subscriptions.get(subscription_id, principal.municipality)
    return _found(found, subscription_id).to_dict()


@router.post("/{subscription_id}/rotation", response_model=answers.NewSubscription)
def rotate_secret(
    subscription_id: UUID,
    principal: KeyAdmin,
    services: ServicesDep,
    body: RotationIn | None = None,
) -> dict[str, Any]:
    """A new secret, in this answer only; the old one signs along for a day unless
    `immediate`."""
    grace = timedelta(0) if body is not None and body.immediate else ROTATION_GRACE
    secret = services.subscriptions.rotate(subscription_id, principal.municipality, grace)
    if secret is None:
        raise ApiError(404, "not_found", f"subscription {subscription_id} does not exist")
    found = _found(
        services.subscriptions.get(subscription_id, principal.municipality), subscription_id
    )
    return {**found.to_dict(), "secret": secret}


@router.get("/{subscription_id}/deliveries", response_model=answers.Page[answers.Delivery])
def list_deliveries(
    subscription_id: UUID,
    principal: KeyAdmin,
    services: ServicesDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The subscription's deliveries, newest first, each with its attempts."""
    _found(services.subscriptions.get(subscription_id, principal.municipality), subscription_id)
    found, next_cursor = services.deliveries.page(subscription_id, cursor=cursor, limit=limit)
    items = [{**d.to_dict(), "attempt_log": services.deliveries.attempts_of(d.id)} for d in found]
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=answers.Delivery,
)
async def retry_delivery(
    subscription_id: UUID, delivery_id: UUID, principal: KeyAdmin, services: ServicesDep
) -> dict[str, Any]:
    """Try a failed delivery once more, now, under the same `webhook-id`."""
    subscriptions, deliveries = services.subscriptions, services.deliveries
    subscription = await run_in_threadpool(
        subscriptions.get, subscription_id, principal.municipality
    )
    _found(subscription, subscription_id)
    delivery = await run_in_threadpool(deliveries.get, subscription_id, delivery_id)
    if delivery is None:
        raise ApiError(404, "not_found", f"delivery {delivery_id} does not exist")
    assert subscription is not None
    if subscription.status != "active":
        raise ApiError(409, "subscription_disabled", "the subscription is disabled")
    if not await run_in_threadpool(deliveries.reopen, delivery_id):
        raise ApiError(
            409,
            "delivery_not_failed",
            f"only a failed or cancelled delivery is tried again; this one is {delivery.status}",
        )
    dispatch = TemporalDispatch(
        services.temporal,
        asyncio.get_running_loop(),
        deliveries,
        services.settings.temporal_task_queue,
    )
    await dispatch.start(str(delivery_id), retry=delivery.attempts, attempts=1)
    again = await run_in_threadpool(deliveries.get, subscription_id, delivery_id)
    assert again is not None
    return {**again.to_dict(), "attempt_log": deliveries.attempts_of(delivery_id)}


@router.delete("/{subscription_id}", status_code=204)
def delete_subscription(
    subscription_id: UUID, principal: KeyAdmin, services: ServicesDep
) -> Response:
    """Nothing is sent to it any more; its log of deliveries stays readable."""
    if not services.subscriptions.delete(subscription_id, principal.municipality):
        raise ApiError(404, "not_found", f"subscription {subscription_id} does not exist")
    return Response(status_code=204)
