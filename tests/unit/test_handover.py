"""Handing ids to Temporal without holding the outbox up: every id is started and then
marked, a failing start is tried again until it works, and no more than `IN_FLIGHT` starts
are outstanding at once."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from workflows import handover
from workflows.handover import Handover


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(timeout=5)
    running.close()


def wait_for(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.01)


def test_every_id_is_started_then_marked_and_a_failing_start_is_tried_again(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handover, "RETRY_FIRST_SECONDS", 0.01)
    tries: dict[str, int] = {}
    marked: list[uuid.UUID] = []

    async def start(one: str) -> None:
        tries[one] = tries.get(one, 0) + 1
        if one.endswith("1") and tries[one] < 3:
            raise RuntimeError("Temporal is away")

    ids = [uuid.UUID(int=n) for n in range(1, 6)]
    hand = Handover(loop, start, marked.extend, "test")
    began = time.monotonic()
    hand(ids)
    assert time.monotonic() - began < 1, "the caller does not wait for the starts"
    wait_for(lambda: len(marked) == len(ids))
    assert sorted(marked) == ids
    assert tries[str(ids[0])] == 3, "started again until it worked, marked once"


def test_no_more_than_in_flight_starts_are_outstanding(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handover, "IN_FLIGHT", 3)
    release = asyncio.Event()
    started: list[str] = []

    async def start(one: str) -> None:
        started.append(one)
        await release.wait()

    hand = Handover(loop, start, lambda ids: None, "test")
    caller = threading.Thread(target=hand, args=([uuid.uuid4() for _ in range(5)],))
    caller.start()
    wait_for(lambda: len(started) == 3)
    time.sleep(0.2)
    assert len(started) == 3, "the fourth waits for a slot"
    assert caller.is_alive()
    loop.call_soon_threadsafe(release.set)
    caller.join(timeout=5)
    wait_for(lambda: len(started) == 5)
