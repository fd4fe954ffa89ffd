"""Prometheus metrics of the projector, served by whichever process runs it."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

PROJECTOR_POSITION = Gauge(
    "wijklab_projector_position", "Last notification id applied to the read models"
)
PROJECTOR_APPLIED = Counter("wijklab_projector_events_applied", "Events applied to the read models")
