"""Rate limits: failed attempts to authenticate, deliveries per webhook integration, and
open data per client address.

Guessing tokens or signatures, or flooding a webhook, costs the caller time, not wijklab its
capacity. Only *failing* attempts are throttled: a request with a valid key or a valid
signature always goes through, so twenty junk requests from a town hall's shared address
cannot lock out the people behind it. Failed sign-ins and API keys count per client address;
failed webhook signatures count per integration, apart from people's sign-ins.

A moving window from `limits`, kept in this process's memory: with several API replicas each
holds its own count (the proxy in front spreads clients over them), which is enough to make
guessing pointless; the numbers are settings.
"""

from __future__ import annotations

import math
import time
from enum import StrEnum

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from domain.errors import DomainError
from services.settings import Settings


class TooManyRequests(DomainError):
    """A limit was reached: the caller should wait `retry_after` seconds."""

    def __init__(self, code: str, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


class Failing(StrEnum):
    """What failed: each kind has its own count."""

    SIGN_IN = "auth"  # an API key or a page sign-in, per client address
    WEBHOOK = "webhook-signature"  # a webhook signature, per integration


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.auth_failures: RateLimitItem = parse(settings.auth_failure_limit)
        self.webhooks: RateLimitItem = parse(settings.webhook_limit)
        self.sign_in_mail: RateLimitItem = parse(settings.sign_in_mail_limit)
        self.open_data: RateLimitItem = parse(settings.open_data_limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def failed(self, kind: Failing, who: str) -> None:
        """Count a failed attempt; past the limit, refuse it with how long to wait.

        Called only once an attempt has failed, so a valid credential is never refused here.
        """
        if not self._limiter.hit(self.auth_failures, kind.value, who):
            raise self._refusal(
                self.auth_failures,
                (kind.value, who),
                "too_many_failures",
                "too many failed attempts; try again later",
            )

    def may_mail_sign_in(self, address_hash: str) -> bool:
        """Whether another sign-in link may go to this address now (counted when it may)."""
        return bool(self._limiter.hit(self.sign_in_mail, "sign-in-mail", address_hash))

    def hit_open_data(self, client: str) -> None:
        """Count a request for open data (no account, so every request counts)."""
        if not self._limiter.hit(self.open_data, "open-data", client):
            raise self._refusal(
                self.open_data,
                ("open-data", client),
                "rate_limited",
                "too many requests for open data from this address; try again later",
            )

    def hit_webhook(self, integration: str) -> None:
        if not self._limiter.hit(self.webhooks, "webhook", integration):
            raise self._refusal(
                self.webhooks,
                ("webhook", integration),
                "rate_limited",
                "too many deliveries for this integration; try again later",
            )

    def _refusal(
        self, item: RateLimitItem, keys: tuple[str, ...], code: str, message: str
    ) -> TooManyRequests:
        stats = self._limiter.get_window_stats(item, *keys)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return TooManyRequests(code, message, retry_after=wait)
