"""The delivery's attempt, and handing new deliveries to Temporal.

`DeliveryActivities.deliver_once` reads the delivery and its subscription at sending time
(a deleted or disabled subscription gets nothing), signs with every current secret, sends
(`services.infra.outbound_http`), logs the attempt and ends the delivery on a 2xx (delivered),
a 410 (gone: the subscription is disabled) or the last failed attempt (failed).

`TemporalDispatch` starts one workflow per delivery, named after it, so handing the same
delivery over twice (after a crash) starts nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import orjson
import structlog
from opentelemetry.trace import SpanKind
from structlog.contextvars import bound_contextvars
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from services import tracing
from services.infra.destinations import Destinations
from services.infra.outbound_http import send
from services.stores.deliveries import CANCELLED, DELIVERED, FAILED, GONE, DeliveryLog
from services.stores.subscriptions import SubscriptionStore
from workflows.delivery import (
    RETRY,
    AttemptInput,
    DeliveryInput,
    DeliveryWorkflow,
    delivery_workflow_id,
)
from workflows.handover import Handover

log = structlog.get_logger(__name__)


class DeliveryActivities:
    def __init__(
        self,
        deliveries: DeliveryLog,
        subscriptions: SubscriptionStore,
        destinations: Destinations,
        client: httpx.Client | None = None,
    ) -> None:
        self.deliveries = deliveries
        self.subscriptions = subscriptions
        self.destinations = destinations
        self.client = client or httpx.Client(http2=False, trust_env=False)

    @activity.defn(name="deliver_once")
    def deliver_once(self, request: AttemptInput) -> str:
        delivery_id = UUID(request.delivery_id)
        info = activity.info()
        with bound_contextvars(
            delivery_id=request.delivery_id, workflow_id=info.workflow_id, attempt=request.attempt
        ):
            target = self.deliveries.target(delivery_id)
            if target is None:
                return CANCELLED
            delivery = target.delivery
            if delivery.status == DELIVERED or delivery.status == GONE:
                return delivery.status  # an attempt repeated after it succeeded
            secrets = self.subscriptions.signing_secrets(delivery.subscription_id)
            if not target.active or not secrets:
                self.deliveries.finish(delivery_id, CANCELLED)
                log.info("delivery_cancelled")
                return CANCELLED
            with tracing.span(
                "wijklab.deliver",
                parent=delivery.trace,
                kind=SpanKind.CLIENT,
                webhook_id=delivery.webhook_id,
                attempt=request.attempt,
            ) as span:
                sent = send(
                    self.client,
                    self.destinations,
                    target.url,
                    msg_id=delivery.webhook_id,
                    secrets=secrets,
                    body=orjson.dumps(delivery.body),
                )
                if sent.status_code is not None:
                    span.set_attribute("http.response.status_code", sent.status_code)
            ok = sent.status_code is not None and 200 <= sent.status_code < 300
            gone = sent.status_code == 410
            later = None
            if not ok and not gone and request.next_in is not None:
                later = datetime.now(UTC) + timedelta(seconds=request.next_in)
            self.deliveries.attempted(
                delivery_id,
                status_code=sent.status_code,
                error=sent.error,
                duration_ms=sent.duration_ms,
                next_attempt_at=later,
            )
            log.info(
                "delivery_attempted",
                status_code=sent.status_code,
                error=sent.error,
                duration_ms=sent.duration_ms,
                experiment_id=str(delivery.experiment_id) if delivery.experiment_id else None,
                decision_id=delivery.body.get("data", {}).get("decision_id"),
            )
            if ok:
                self.deliveries.finish(delivery_id, DELIVERED)
                return DELIVERED
            if gone:
                self.subscriptions.disable(delivery.subscription_id, "410 Gone")
                self.deliveries.finish(delivery_id, GONE)
                log.info(
                    "subscription_disabled_gone", subscription_id=str(delivery.subscription_id)
                )
                return GONE
            if later is None:
                self.deliveries.finish(delivery_id, FAILED)
                return FAILED
            return RETRY


class TemporalDispatch:
    """Called from the outbox's thread: starts the deliveries' workflows on `loop`."""

    def __init__(
        self,
        client: Client,
        loop: asyncio.AbstractEventLoop,
        deliveries: DeliveryLog,
        task_queue: str,
    ) -> None:
        self.client = client
        self.loop = loop
        self.deliveries = deliveries
        self.task_queue = task_queue
        self.handover = Handover(loop, self.start, deliveries.mark_dispatched, "delivery")

    def __call__(self, ids: Sequence[UUID]) -> None:
        """Hand the deliveries over without waiting for their workflows to start."""
        self.handover(ids)

    async def start(
        self, delivery_id: str, *, retry: int = 0, attempts: int | None = None
    ) -> WorkflowHandle[Any, str] | None:
        """Start the delivery's workflow; None if it was started before."""
        request = DeliveryInput(delivery_id)
        if attempts is not None:
            request = DeliveryInput(delivery_id, attempts)
        try:
            return await self.client.start_workflow(
                DeliveryWorkflow.run,
                request,
                id=delivery_workflow_id(delivery_id, retry),
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                # The worker in this process takes the first task from the start's answer,
                # when it has room, instead of polling for it (Temporal's eager start).
                request_eager_start=True,
            )
        except WorkflowAlreadyStartedError:
            return None  # handed over before: its workflow runs or ran
