"""Sending one signed message to a receiver, safely: the host checked again
(`services.infra.destinations`), 15 s at most, no redirect followed, at most 64 KiB of the
answer read, the answer's body never kept. What came back is returned, never raised: the
caller decides whether to try again."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from domain.subscriptions import UrlNotAllowed
from services.infra.destinations import Destinations
from services.infra.webhooks import sign

MAX_ANSWER = 64 * 1024
USER_AGENT = "wijklab-webhooks/1"


@dataclass(frozen=True)
class Sent:
    status_code: int | None  # None: no answer (refused, timed out, unreachable)
    error: str | None
    duration_ms: int


def signature_header(secrets: tuple[str, ...], msg_id: str, timestamp: int, body: bytes) -> str:
    """Every current secret signs (during a rotation's grace, the old one too), space
    separated, as the specification allows: a receiver accepts if any matches its secret."""
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def send(
    client: httpx.Client,
    destinations: Destinations,
    url: str,
    *,
    msg_id: str,
    secrets: tuple[str, ...],
    body: bytes,
    now: datetime | None = None,
    timeout: float = 15.0,
) -> Sent:
    began = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - began) * 1000)

    try:
        destinations.check(url)
    except UrlNotAllowed as refused:
        return Sent(None, f"url_not_allowed: {refused.message}", took())
    timestamp = int((now or datetime.now(UTC)).timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
    }
    try:
        with client.stream(
            "POST",
            url,
            content=body,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        ) as answer:
            read = 0
            for chunk in answer.iter_bytes():
                read += len(chunk)
                if read >= MAX_ANSWER:
                    break  # the rest of a huge answer is not wanted
            status = answer.status_code
    except httpx.TimeoutException:
        return Sent(None, f"timeout: no answer within {timeout:g} s", took())
    except httpx.HTTPError as error:
        return Sent(None, f"{type(error).__name__}: {str(error)[:200]}", took())
    if 300 <= status < 400:
        return Sent(status, "redirect not followed", took())
    return Sent(status, None if 200 <= status < 300 else f"HTTP {status}", took())
