"""Traces: one decision followed from the HTTP request through Temporal's update, the activity
that appends it, the event store, the projector and the outbound delivery (OpenTelemetry).

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (then spans go out by OTLP over HTTP, in
batches), so a process that does not trace pays nothing: no Temporal interceptor, no HTTP
middleware, and the spans wijklab makes itself are the no-op tracer's. The provider is kept
here rather than installed as OpenTelemetry's global one, so a test can switch tracing on
with an in-memory exporter and off again.

Across processes the context travels as a W3C `traceparent` in a plain dict (a *carrier*):
in Temporal's headers (the interceptor does that), in the stored event (`trace`) for the
projector and the outbox, and with each delivery for its workflow.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Tracer

# The standard variable that switches exporting on (OpenTelemetry's own exporter reads it,
# and its `_TRACES_` variant, for where to send).
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
INSTRUMENTATION = "wijklab"
Carrier = dict[str, str]

_provider: TracerProvider | None = None
_noop = trace.NoOpTracer()


def configure(process: str, environ: Mapping[str, str] | None = None) -> bool:
    """Trace this process when an OTLP endpoint is set; whether it now traces."""
    env = os.environ if environ is None else environ
    if not any(env.get(name) for name in ENDPOINT_VARIABLES):
        return False
    # Imported here: a process that does not trace never loads the exporter.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    enable(BatchSpanProcessor(OTLPSpanExporter()), process)
    return True


def enable(processor: SpanProcessor, process: str = "wijklab") -> TracerProvider:
    """Trace from now on, handing finished spans to `processor`."""
    global _provider
    name = os.environ.get("OTEL_SERVICE_NAME") or process
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(processor)
    _provider = provider
    return provider


def disable() -> None:
    """Stop tracing (spans already handed over stay with their processor)."""
    global _provider
    if _provider is not None:
        _provider.shutdown()
    _provider = None


def enabled() -> bool:
    return _provider is not None


def provider() -> TracerProvider | None:
    return _provider


def tracer() -> Tracer:
    """wijklab's own tracer: a no-op one while tracing is off."""
    return _provider.get_tracer(INSTRUMENTATION) if _provider is not None else _noop


def carrier() -> Carrier | None:
    """The current span's context to store or send along; None when nothing is traced."""
    if _provider is None or not trace.get_current_span().get_span_context().is_valid:
        return None
    found: Carrier = {}
    inject(found)
    return found or None


@contextlib.contextmanager
def span(
    name: str,
    parent: Mapping[str, str] | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    **attributes: str | int,
) -> Iterator[Span]:
    """A span of wijklab's own, a child of the current span or of a carried `parent` (an
    event's or a delivery's), current while the block runs."""
    if _provider is None:
        yield trace.INVALID_SPAN
        return
    context = extract(parent) if parent else None
    with tracer().start_as_current_span(
        name, context=context, kind=kind, attributes=attributes
    ) as current:
        yield current


def log_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: the trace and span ids of the current span, when there is one,
    so a log line can be found from its trace and the other way round."""
    if _provider is None:
        return event_dict
    found = trace.get_current_span().get_span_context()
    if found.is_valid:
        event_dict.setdefault("trace_id", format(found.trace_id, "032x"))
        event_dict.setdefault("span_id", format(found.span_id, "016x"))
    return event_dict
