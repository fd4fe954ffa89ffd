"""A workflow that breaks determinism on purpose: it reads the machine's clock."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow


@workflow.defn
class ClockReadingWorkflow:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # replays to another value: never in a workflow
