"""Temporal's tracing interceptor, with each update in the trace of the request that sent it.

Temporal's `TracingInterceptor` puts every span a workflow makes into the trace of the
workflow's *start*, and only links an update's span to its caller. An experiment's workflow
lives for years and takes every decision as an update, so all of an experiment's decisions
would hang from the request that started it. Here an update's handling, and what it does
(the local activity that appends the decision), continue the trace of the request that sent
it: one trace per decision.

The workflow side builds on the interceptor's own helpers (its header key, propagator and
the extern function that completes a workflow span outside the sandbox), which are not part
of its documented surface: `tests/api/test_traces.py` checks the shape of the trace, so a
Temporal upgrade that changes them fails there.
"""

from __future__ import annotations

from typing import Any

import opentelemetry.trace
import temporalio.workflow
from opentelemetry.context import Context
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor
from temporalio.contrib.opentelemetry._context import attached_context
from temporalio.contrib.opentelemetry._interceptor import _CompletedWorkflowSpanParams
from temporalio.worker import HandleUpdateInput, WorkflowInterceptorClassInput

from services import tracing

COMPLETED_SPAN = "__temporal_opentelemetry_completed_span"


def interceptors() -> list[Any]:
    """The tracing interceptor while tracing is on: it carries the context in the headers of
    starts, updates and activities, and makes their spans; none while it is off."""
    return [DecisionTracingInterceptor(tracing.tracer())] if tracing.enabled() else []


class DecisionTracingInterceptor(TracingInterceptor):
    """`TracingInterceptor`, whose workflows handle each update in its caller's trace."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)  # registers the extern functions
        return UpdateInCallersTrace


class UpdateInCallersTrace(TracingWorkflowInboundInterceptor):
    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        header = input.headers.get(self.header_key)
        if not header:
            return await super().handle_update_handler(input)
        carrier = self.payload_converter.from_payloads([header])[0]
        caller = self._set_on_context(self.text_map_propagator.extract(carrier))
        with attached_context(self._handled_in(caller, f"HandleUpdate:{input.update}")):
            return await self.next.handle_update_handler(input)

    def _handled_in(self, caller: Context, name: str) -> Context:
        """A completed span for the update, a child of the caller's; the context in which
        what the handler starts (its activities) are the span's children."""
        if temporalio.workflow.unsafe.is_replaying():
            return caller
        with attached_context(caller):
            current: dict[str, str | list[str]] = {}
            self.text_map_propagator.inject(current)
        info = temporalio.workflow.info()
        made = self._extern_functions[COMPLETED_SPAN](  # type: ignore[literal-required]
            _CompletedWorkflowSpanParams(
                context=current,
                name=name,
                attributes={"temporalWorkflowID": info.workflow_id, "temporalRunID": info.run_id},
                time_ns=temporalio.workflow.time_ns(),
                link_context=None,
                exception=None,
                kind=opentelemetry.trace.SpanKind.SERVER,
                parent_missing=False,
            )
        )
        if not made:
            return caller
        return self._set_on_context(self.text_map_propagator.extract(made))
