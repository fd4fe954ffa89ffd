"""Rate limits: failed authentication per client address, deliveries per webhook integration.

Guessing tokens or signatures, or flooding a webhook, costs the caller time, not wijklab its
capacity. A moving window from `limits`, kept in this process's memory: with several API
replicas each holds its own count (the proxy in front spreads clients over them), which is
enough to make guessing pointless; the numbers are settings.
"""

from __future__ import annotations

import math
import time

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


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.auth_failures: RateLimitItem = parse(settings.auth_failure_limit)
        self.webhooks: RateLimitItem = parse(settings.webhook_limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check_auth(self, client: str) -> None:
        """Refuse a client that failed to authenticate too often, before trying again."""
        if not self._limiter.test(self.auth_failures, "auth", client):
            raise self._refusal(self.auth_failures, "auth", client, "too_many_failures")

    def auth_failed(self, client: str) -> None:
        self._limiter.hit(self.auth_failures, "auth", client)

    def hit_webhook(self, integration: str) -> None:
        if not self._limiter.hit(self.webhooks, "webhook", integration):
            raise self._refusal(self.webhooks, "webhook", integration, "rate_limited")

    def _refusal(self, item: RateLimitItem, *identifiers: str) -> TooManyRequests:
        *keys, code = identifiers
        stats = self._limiter.get_window_stats(item, *keys)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return TooManyRequests(code, "too many requests; try again later", retry_after=wait)
