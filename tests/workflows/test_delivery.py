"""Outbound deliveries on Temporal, against a real receiver on 127.0.0.1 that verifies each
delivery with the `standardwebhooks` library: the specification's retry schedule (time
skipped), the same `webhook-id` on every attempt, `410 Gone` disabling the subscription,
redirects not followed, the last failure ending the delivery, a deleted subscription getting
nothing, and handing a delivery over twice starting one workflow."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.subscriptions import SubscriptionRequest
from projections.outbox import run_outbox
from services.infra.destinations import Destinations
from services.infra.event_store import Experiments
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.infra.secret_box import SecretBox
from services.stores.deliveries import DeliveryLog
from services.stores.subscriptions import SubscriptionStore
from tests.builders import start
from tests.webhook_receiver import Receiver, receiving
from tests.workflows.conftest import EXECUTOR
from workflows.delivery import SCHEDULE
from workflows.delivery_activities import DeliveryActivities, TemporalDispatch
from workflows.worker import build_worker

# Set by `make histories` to keep the retried delivery's history for the replay tests.
RECORDING = os.environ.get("WIJKLAB_RECORD_HISTORY")
RECORD_TO: Path | None = Path(RECORDING) if RECORDING else None


class Parts:
    def __init__(self, database: Database) -> None:
        migrate(database)
        self.database = database
        self.subscriptions = SubscriptionStore(database, SecretBox(b"s" * 32))
        self.deliveries = DeliveryLog(database)

    def attempts(self, delivery_id: uuid.UUID) -> list[int | None]:
        return [a["status_code"] for a in self.deliveries.attempts_of(delivery_id)]


@pytest.fixture
def parts(database: Database) -> Parts:
    return Parts(database)


def one_delivery(
    parts: Parts, experiments: Experiments, receiver: Receiver
) -> tuple[uuid.UUID, uuid.UUID]:
    """Subscribe the receiver, record a decision, let the outbox enqueue its delivery."""
    made, secret = parts.subscriptions.create(
        "utrecht",
        SubscriptionRequest(
            url=receiver.url, event_types=("decision.recorded",), experiment_id=None
        ),
        from_position=experiments.max_position(),
    )
    receiver.secret = secret
    handed: list[uuid.UUID] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=run_outbox, args=(parts.database, handed.extend, stop), daemon=True
    )
    thread.start()
    experiments.start(start(), experiment_id=uuid.uuid4())
    deadline = time.monotonic() + 20
    while not handed and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=20)
    assert len(handed) == 1
    return handed[0], made.id


async def deliver(
    env: WorkflowEnvironment,
    parts: Parts,
    delivery_id: uuid.UUID,
    *,
    twice: bool = False,
    record: bool = False,
) -> str:
    task_queue = f"delivery-{uuid.uuid4().hex[:8]}"
    activities = DeliveryActivities(
        parts.deliveries, parts.subscriptions, Destinations.allowing(["127.0.0.1"])
    )
    worker = build_worker(
        env.client,
        Experiments.open(parts.database),
        task_queue=task_queue,
        executor=EXECUTOR,
        threads=4,
        deliveries=activities,
    )
    dispatch = TemporalDispatch(
        env.client, asyncio.get_running_loop(), parts.deliveries, task_queue
    )
    async with worker:
        handle = await dispatch.start(str(delivery_id))
        assert handle is not None
        if twice:
            assert await dispatch.start(str(delivery_id)) is None, "one workflow per delivery"
        result: str = await handle.result()
        if record and RECORD_TO is not None:
            history = await handle.fetch_history()
            RECORD_TO.write_text(history.to_json())
    return result


@pytest.fixture
def flaky() -> Iterator[Receiver]:
    with receiving([500, 500, 200]) as receiver:
        yield receiver


async def test_two_failures_then_delivered_on_the_schedule(
    time_skipping: WorkflowEnvironment, parts: Parts, experiments: Experiments, flaky: Receiver
) -> None:
    delivery_id, _ = one_delivery(parts, experiments, flaky)
    assert await deliver(time_skipping, parts, delivery_id, twice=True, record=True) == "delivered"
    assert parts.attempts(delivery_id) == [500, 500, 200]
    assert len(flaky.received) == 3, "handed over twice, still one workflow"
    assert len({r.webhook_id for r in flaky.received}) == 1, "the same webhook-id each time"
    assert all(r.verified for r in flaky.received), "every delivery verifies"
    [delivery], _ = parts.deliveries.page(
        parts.deliveries.target(delivery_id).delivery.subscription_id
    )  # type: ignore[union-attr]
    assert delivery.status == "delivered"
    assert delivery.attempts == 3
    assert delivery.body["type"] == "decision.recorded"
    assert delivery.body["data"]["decision_type"] == "start"


async def test_gone_disables_the_subscription(
    time_skipping: WorkflowEnvironment, parts: Parts, experiments: Experiments
) -> None:
    with receiving([410]) as receiver:
        delivery_id, subscription_id = one_delivery(parts, experiments, receiver)
        assert await deliver(time_skipping, parts, delivery_id) == "gone"
    assert parts.attempts(delivery_id) == [410]
    found = parts.subscriptions.get(subscription_id, "utrecht")
    assert found is not None
    assert found.status == "disabled"
    assert found.disabled_reason == "410 Gone"


async def test_failing_for_ever_ends_after_the_whole_schedule_and_redirects_are_not_followed(
    time_skipping: WorkflowEnvironment, parts: Parts, experiments: Experiments
) -> None:
    with receiving([302]) as receiver:
        delivery_id, _ = one_delivery(parts, experiments, receiver)
        assert await deliver(time_skipping, parts, delivery_id) == "failed"
    assert parts.attempts(delivery_id) == [302] * len(SCHEDULE)
    assert len(receiver.received) == len(SCHEDULE), "nothing reached /elsewhere"
    target = parts.deliveries.target(delivery_id)
    assert target is not None
    assert target.delivery.status == "failed"
    assert target.delivery.last_error == "redirect not followed"


async def test_a_deleted_subscription_gets_nothing(
    time_skipping: WorkflowEnvironment, parts: Parts, experiments: Experiments
) -> None:
    with receiving([200]) as receiver:
        delivery_id, subscription_id = one_delivery(parts, experiments, receiver)
        assert parts.subscriptions.delete(subscription_id, "utrecht")
        assert await deliver(time_skipping, parts, delivery_id) == "cancelled"
        assert receiver.received == []
