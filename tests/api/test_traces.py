"""One decision, one trace: the HTTP request, Temporal's update, the workflow's handling, the
local activity, the append, the projector, the outbox and the delivery to a subscriber, each
a child of the hop before it, in order (OpenTelemetry's in-memory exporter, on the real
stack). And with tracing off, nothing is traced and no event carries a trace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services import tracing
from services.infra import temporal_tracing
from tests.api.conftest import Stack, experiment_body, projected, wait_until
from tests.webhook_receiver import receiving

EXPORTED = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def traced() -> Iterator[InMemorySpanExporter]:
    """Tracing on for this module's stack (built after this), off again after it."""
    tracing.enable(SimpleSpanProcessor(EXPORTED), "wijklab-test")
    yield EXPORTED
    tracing.disable()


def _hex(number: int, width: int) -> str:
    return format(number, f"0{width}x")


def trace_of(root: ReadableSpan) -> list[ReadableSpan]:
    assert root.context is not None
    return sorted(
        (
            s
            for s in EXPORTED.get_finished_spans()
            if s.context is not None and s.context.trace_id == root.context.trace_id
        ),
        key=lambda s: s.start_time or 0,
    )


async def test_one_decision_is_one_trace_with_every_hop_a_child_in_order(
    stack: Stack,
) -> None:
    started = await stack.client.post(
        "/v1/experiments",
        headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
        json=experiment_body(),
    )
    assert started.status_code == 201, started.text
    experiment_id = started.json()["id"]
    await projected(stack, experiment_id)
    with receiving([200]) as receiver:
        made = await stack.client.post(
            "/v1/subscriptions",
            headers=stack.auth("admin"),
            json={"url": receiver.url, "event_types": ["decision.recorded"]},
        )
        assert made.status_code == 201, made.text
        receiver.secret = made.json()["secret"]
        EXPORTED.clear()

        # The one decision, which the subscriber hears of.
        decided = await stack.client.post(
            f"/v1/experiments/{experiment_id}/decisions",
            headers={**stack.auth("pm"), "Idempotency-Key": "traced-1"},
            json={"type": "revise_plan", "rationale": "getest", "description": "Een plan"},
        )
        assert decided.status_code == 200, decided.text
        [root] = [
            s
            for s in EXPORTED.get_finished_spans()
            if s.parent is None and s.name.startswith("POST") and "decisions" in s.name
        ]

        async def every_hop_done() -> bool:
            done = {s.name for s in trace_of(root)}
            return {"wijklab.project", "wijklab.outbox", "wijklab.deliver"} <= done

        await wait_until(every_hop_done, timeout=30)
        assert [r.verified for r in receiver.received] == [True], "the subscriber heard it"

    spans = trace_of(root)
    by_name: dict[str, ReadableSpan] = {}
    for s in spans:
        by_name.setdefault(s.name, s)
    hops = [
        root.name,
        "StartWorkflowUpdate:decide",
        "HandleUpdate:decide",
        "StartActivity:record_decision",
        "RunActivity:record_decision",
        "wijklab.append",
        "wijklab.project",
        "wijklab.outbox",
        "wijklab.deliver",
    ]
    missing = [h for h in hops if h not in by_name]
    assert not missing, (missing, [s.name for s in spans])
    # Each hop is a child of the one before it (the projector and the outbox both continue
    # from the append, the delivery from the outbox), and starts after it.
    parent_of = {
        "StartWorkflowUpdate:decide": root.name,
        "HandleUpdate:decide": "StartWorkflowUpdate:decide",
        "StartActivity:record_decision": "HandleUpdate:decide",
        "RunActivity:record_decision": "StartActivity:record_decision",
        "wijklab.append": "RunActivity:record_decision",
        "wijklab.project": "wijklab.append",
        "wijklab.outbox": "wijklab.append",
        "wijklab.deliver": "wijklab.outbox",
    }
    for child, parent in parent_of.items():
        found, above = by_name[child], by_name[parent]
        assert found.parent is not None
        assert above.context is not None
        assert found.parent.span_id == above.context.span_id, (child, parent)
        assert (found.start_time or 0) >= (above.start_time or 0), (child, parent)
    # Every span of the trace hangs from the request: one trace, no orphans.
    ids = {s.context.span_id for s in spans if s.context is not None}
    assert all(s.parent is None or s.parent.span_id in ids for s in spans)
    assert [s for s in spans if s.parent is None] == [root]
    append = by_name["wijklab.append"]
    attributes: dict[str, Any] = dict(append.attributes or {})
    assert attributes["experiment_id"] == experiment_id

    # The stored event carries the append's context, as a W3C traceparent.
    found = stack.runtime.experiments.find(uuid.UUID(experiment_id))
    assert found is not None
    last = list(stack.runtime.experiments.events.get(found.id))[-1]
    assert append.context is not None
    assert last.trace is not None
    assert last.trace["traceparent"].startswith(
        f"00-{_hex(append.context.trace_id, 32)}-{_hex(append.context.span_id, 16)}-"
    )


def test_with_tracing_off_nothing_is_traced() -> None:
    provider = tracing.provider()
    tracing.disable()
    try:
        assert tracing.carrier() is None
        with tracing.span("wijklab.append") as span:
            assert not span.get_span_context().is_valid
        assert temporal_tracing.interceptors() == []
        assert tracing.configure("wijklab", environ={}) is False
    finally:
        if provider is not None:
            tracing.enable(SimpleSpanProcessor(EXPORTED), "wijklab-test")
