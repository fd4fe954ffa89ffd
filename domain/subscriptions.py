"""Outbound event subscriptions: which recorded events a receiver is sent, and the rules for
its address that need no network (the scheme, no credentials, a host, a known event type).
Whether the host resolves to an address wijklab may call is checked where names are resolved
(`services.infra.destinations`), when the subscription is made and before every delivery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from domain.errors import InvalidInput
from domain.values import check_visible

# The event types a subscription may ask for (the contract's list, in its order).
EVENT_TYPES = (
    "decision.recorded",
    "stage.changed",
    "stage.due",
    "stage.overdue",
    "endorsement.opened",
    "endorsement.closed",
    "programme.report_due",
)
MAX_URL = 2000


class UrlNotAllowed(InvalidInput):
    """A receiver wijklab will not call: a private, loopback or link-local address."""

    code = "url_not_allowed"


@dataclass(frozen=True)
class SubscriptionRequest:
    url: str
    event_types: tuple[str, ...]
    experiment_id: UUID | None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


def parse_subscription(body: dict[str, Any]) -> SubscriptionRequest:
    """The subscription a request asks for, or `InvalidInput` naming the field."""
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("url is the receiver's address, https://…", field="url")
    url = url.strip()
    check_url(url)
    types = body.get("event_types")
    if not isinstance(types, list) or not types:
        raise InvalidInput("event_types lists at least one event type", field="event_types")
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}",
            field="event_types",
        )
    experiment = body.get("experiment_id")
    experiment_id = None
    if experiment is not None:
        try:
            experiment_id = UUID(str(experiment))
        except ValueError:
            raise InvalidInput(
                "experiment_id is an experiment's id", field="experiment_id"
            ) from None
    ordered = tuple(t for t in EVENT_TYPES if t in types)
    return SubscriptionRequest(url=url, event_types=ordered, experiment_id=experiment_id)


def check_url(url: str) -> None:
    """An absolute http(s) address with a host, no user or password, no fragment."""
    if len(url) > MAX_URL:
        raise InvalidInput(f"url is at most {MAX_URL} characters", field="url")
    check_visible(url, "url")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise InvalidInput("url may not contain spaces or control characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("url is not a valid address", field="url") from None
    if parts.scheme not in ("https", "http"):
        raise InvalidInput("url must start with https:// (or http://)", field="url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput("url may not carry a user name or password", field="url")
    if not parts.hostname:
        raise InvalidInput("url needs a host", field="url")
    if parts.fragment:
        raise InvalidInput("url may not have a #fragment", field="url")
    if port == 0:
        raise InvalidInput("url has port 0", field="url")
