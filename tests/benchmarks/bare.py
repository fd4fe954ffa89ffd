"""The raw ceiling: a bare workflow whose update runs one no-op activity."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def noop(value: int) -> int:
    return value


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.done)

    @workflow.update
    async def touch(self, value: int) -> int:
        result: int = await workflow.execute_activity(
            noop, value, start_to_close_timeout=timedelta(seconds=30)
        )
        return result

    @workflow.signal
    def finish(self) -> None:
        self.done = True
