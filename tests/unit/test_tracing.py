"""Tracing is on only with an OTLP endpoint; log lines carry the current span's ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services import tracing


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.enable(SimpleSpanProcessor(exporter), "wijklab-test")
    yield exporter
    tracing.disable()


def test_tracing_is_on_only_where_an_otlp_endpoint_is_set() -> None:
    assert tracing.configure("wijklab-api", environ={}) is False
    assert not tracing.enabled()
    on = tracing.configure(
        "wijklab-api", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
    )
    try:
        assert on is True
        assert tracing.enabled()
        provider = tracing.provider()
        assert provider is not None
        assert provider.resource.attributes["service.name"] == "wijklab-api"
    finally:
        tracing.disable()
    assert not tracing.enabled()


def test_a_log_line_carries_the_ids_of_the_span_it_was_written_in(
    exported: InMemorySpanExporter,
) -> None:
    assert tracing.log_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
    with tracing.span("wijklab.append", decision_id="d-1") as span:
        line = tracing.log_ids(None, "info", {"event": "decision_recorded"})
        carried = tracing.carrier()
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert carried is not None
    assert carried["traceparent"].split("-")[1:3] == [line["trace_id"], line["span_id"]]
    assert tracing.carrier() is None, "no span is current after the block"

    # A span carried along (an event's) is continued as the parent.
    with tracing.span("wijklab.project", parent=carried) as child:
        pass
    [first, second] = exported.get_finished_spans()
    assert second.parent is not None
    assert second.parent.span_id == context.span_id
    assert child.get_span_context().trace_id == context.trace_id
    assert first.attributes == {"decision_id": "d-1"}
