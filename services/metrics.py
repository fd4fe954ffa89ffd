"""Prometheus metrics of the API process (the projector's are in `projections.metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "wijklab_http_requests", "HTTP requests by route and status", ["method", "route", "status"]
)
LATENCY = Histogram(
    "wijklab_http_request_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DECISIONS = Counter("wijklab_decisions", "Decisions taken, by type and source", ["type", "source"])
WEBHOOKS = Counter("wijklab_webhook_deliveries", "Webhook deliveries by outcome", ["outcome"])
