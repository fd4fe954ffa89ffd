"""Subscribing a receiver to recorded events: the request checked (`domain.subscriptions`),
the experiment it narrows to checked to be the municipality's, the receiver's address
resolved and refused when it is not public (unless allowed), then stored with a new secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog

from domain.access import Principal
from domain.errors import InvalidInput, NotAllowed
from domain.subscriptions import parse_subscription
from services.infra.destinations import Destinations
from services.stores.subscriptions import Subscription, SubscriptionStore

log = structlog.get_logger(__name__)

# Whether an experiment exists in a municipality.
ExperimentIn = Callable[[UUID, str], bool]
# The position of the last recorded event: a subscription is sent what comes after it.
Head = Callable[[], int]


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.subscription.to_dict(), "secret": self.secret}


class Subscribing:
    def __init__(
        self,
        store: SubscriptionStore,
        destinations: Destinations,
        experiment_in: ExperimentIn,
        head: Head,
    ) -> None:
        self.store = store
        self.destinations = destinations
        self.experiment_in = experiment_in
        self.head = head

    def subscribe(self, principal: Principal, body: dict[str, Any]) -> NewSubscription:
        municipality = principal.municipality
        if municipality is None:
            raise NotAllowed("a subscription belongs to one municipality")
        request = parse_subscription(body)
        if request.experiment_id is not None and not self.experiment_in(
            request.experiment_id, municipality
        ):
            raise InvalidInput(
                f"there is no experiment {request.experiment_id} in {municipality}",
                field="experiment_id",
            )
        self.destinations.check(request.url)
        subscription, secret = self.store.create(municipality, request, from_position=self.head())
        log.info(
            "subscribed",
            subscription_id=str(subscription.id),
            event_types=list(subscription.event_types),
            experiment_id=str(request.experiment_id) if request.experiment_id else None,
        )
        return NewSubscription(subscription, secret)
