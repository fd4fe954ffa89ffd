"""Signed webhooks from integrations (survey tools, case systems, schedulers)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from domain.errors import InvalidInput
from domain.values import Actor, Role
from services.api import answers
from services.api.deps import ServicesDep, client_address
from services.api.problems import problems_of, summary
from services.api.schemas import WebhookIn
from services.infra.json_input import UnreadableJson, read_json
from services.infra.rate_limits import Failing
from services.infra.webhooks import SignatureRejected, verify
from services.metrics import WEBHOOKS
from services.stores.integrations import Integration, IntegrationStore

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=answers.ERRORS)


@router.post("/{integration}", response_model=answers.DecisionAnswer)
async def receive(
    integration: str,
    request: Request,
    services: ServicesDep,
    webhook_id: Annotated[str | None, Header(alias="webhook-id")] = None,
    webhook_timestamp: Annotated[str | None, Header(alias="webhook-timestamp")] = None,
    webhook_signature: Annotated[str | None, Header(alias="webhook-signature")] = None,
) -> JSONResponse:
    """A decision from an integration, signed by the Standard Webhooks specification. The
    `webhook-id` becomes the decision id, so a repeated delivery returns the first answer."""
    body = await request.body()
    found: Integration | None = None
    try:
        IntegrationStore.check_name(integration)
        found = await run_in_threadpool(services.integrations.get, integration)
        if found is None:
            raise SignatureRejected("unknown or revoked integration")
        verify(
            found.secrets,
            msg_id=webhook_id,
            timestamp=webhook_timestamp,
            signature=webhook_signature,
            body=body,
        )
    except (SignatureRejected, InvalidInput):
        WEBHOOKS.labels(outcome="rejected").inc()
        # Failures count per integration (an unknown name per address), apart from people's
        # sign-ins; a validly signed delivery is never refused for them.
        services.rate_limits.failed(
            Failing.WEBHOOK,
            found.name if found is not None else f"unknown@{client_address(request)}",
        )
        raise SignatureRejected(
            "the webhook signature, timestamp or integration is not valid"
        ) from None
    # Counted once the delivery is authentic, so a stranger's flood (limited per address
    # above) cannot use up an integration's allowance.
    services.rate_limits.hit_webhook(integration)
    try:
        delivery = WebhookIn.model_validate(read_json(body, field="body"))
        experiment_id = UUID(delivery.experiment_id)
    except UnreadableJson:
        WEBHOOKS.labels(outcome="invalid").inc()
        raise
    except ValidationError as error:
        WEBHOOKS.labels(outcome="invalid").inc()
        raise InvalidInput(
            "the delivery is not {experiment_id, decision}: "
            + summary(problems_of(error.errors())),
            field="body",
        ) from None
    except ValueError:
        WEBHOOKS.labels(outcome="invalid").inc()
        raise InvalidInput(
            "the delivery is not {experiment_id, decision}: experiment_id is not a UUID",
            field="body",
        ) from None
    actor = Actor(id=f"integration:{found.name}", role=Role.INTEGRATION, name=found.name)
    try:
        answer = await services.decisions.decide(
            actor,
            found.municipality,
            experiment_id,
            delivery.decision.model_dump(),
            decision_id=services.decisions.decision_id(webhook_id),
            source=f"webhook:{found.name}",
        )
    except Exception:
        WEBHOOKS.labels(outcome="refused").inc()
        raise
    WEBHOOKS.labels(outcome="accepted").inc()
    body_out: dict[str, Any] = {
        "decision_id": answer.decision_id,
        "experiment": answer.experiment,
        "position": answer.position,
    }
    return JSONResponse(body_out)
