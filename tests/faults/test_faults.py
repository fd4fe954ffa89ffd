"""Faults under load: no decision lost or doubled, read models equal a rebuild, nothing stuck.

`make test` runs each scenario in a short form; `make faults` (WIJKLAB_FAULTS=full) runs
them longer, with more clients and more kills. Every scenario prints
`attempted, acknowledged, stored, lost, doubled`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from tests.faults.load import Client, Outcome, endorse, endorsement_round, plan, run_load
from tests.faults.stack import RESIDENTS, FaultStack
from tests.webhook_receiver import receiving

FULL = os.environ.get("WIJKLAB_FAULTS") == "full"
LOAD_SECONDS = 30.0 if FULL else 4.0
CLIENTS = 16 if FULL else 6
EXPERIMENTS = 24 if FULL else 6
KILLS = 4 if FULL else 2
OUTAGE_SECONDS = 10.0 if FULL else 3.0

pytestmark = pytest.mark.timeout(900 if FULL else 240)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    stack = FaultStack(Path(tmp_path_factory.mktemp("faults")))
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


Fault = Callable[[FaultStack, httpx.AsyncClient], Awaitable[None]]


async def under_load(
    stack: FaultStack,
    http: httpx.AsyncClient,
    name: str,
    fault: Fault,
    *,
    at_least: int = 0,
) -> None:
    """Run `fault` under load; with `at_least`, run it again and again until that many
    decisions were acknowledged."""
    outcome = Outcome()
    client = Client(stack, outcome)
    ids = await client.start_experiments(http, EXPERIMENTS)
    stop = asyncio.Event()
    load = asyncio.create_task(run_load(client, http, ids, concurrency=CLIENTS, stop=stop))
    try:
        await fault(stack, http)
        while len(outcome.acknowledged) < at_least:
            await fault(stack, http)
    finally:
        stop.set()
        await load
    # Nothing is stuck: every experiment takes one more decision.
    for experiment_id in ids:
        answer = await client.send(http, f"/v1/experiments/{experiment_id}/decisions", plan(-1))
        assert answer is not None, f"experiment {experiment_id} is stuck"
        assert answer.status_code == 200, answer.text
    stored = await asyncio.to_thread(stack.stored, ids)
    figures = outcome.report(name, stored)
    assert figures["lost"] == 0, "an acknowledged decision is missing"
    assert figures["doubled"] == 0, "a decision is stored twice"
    assert set(stored) <= outcome.attempted | outcome.starts, "a decision no client sent"
    assert all(stored[k] <= 1 for k in outcome.gave_up), "a decision given up on is doubled"
    assert not [s for s in outcome.statuses if s >= 500 and s != 503], outcome.statuses
    assert outcome.retry_after_missing == 0, "a 503 without Retry-After"
    assert figures["acknowledged"] > 0
    await asyncio.to_thread(stack.check_read_models_equal_a_rebuild)


async def test_worker_killed_repeatedly(stack: FaultStack, http: httpx.AsyncClient) -> None:
    async def fault(stack: FaultStack, http: httpx.AsyncClient) -> None:
        for _ in range(KILLS):
            await asyncio.sleep(LOAD_SECONDS / (KILLS + 1))
            await asyncio.to_thread(stack.kill, "worker", signal.SIGKILL)
            await asyncio.sleep(0.5)
            stack.restart("worker")
        await asyncio.sleep(LOAD_SECONDS / (KILLS + 1))

    await under_load(stack, http, "worker killed", fault)


async def test_postgres_stopped_and_started(stack: FaultStack, http: httpx.AsyncClient) -> None:
    seen: list[httpx.Response] = []
    waited: list[float] = []
    errors: list[str] = []

    async def fault(stack: FaultStack, http: httpx.AsyncClient) -> None:
        await asyncio.sleep(LOAD_SECONDS / 2)
        await asyncio.to_thread(stack.postgres.stop)
        try:
            loop = asyncio.get_running_loop()
            until = loop.time() + OUTAGE_SECONDS
            while loop.time() < until:
                began = loop.time()
                try:
                    response = await http.get(
                        f"{stack.urls[0]}/v1/experiments",
                        headers={"Authorization": f"Bearer {stack.tokens['pm']}"},
                        timeout=15,
                    )
                except httpx.HTTPError as error:
                    errors.append(repr(error))
                else:
                    seen.append(response)
                    waited.append(loop.time() - began)
                await asyncio.sleep(0.5)
        finally:
            await asyncio.to_thread(stack.postgres.start)
        await asyncio.sleep(LOAD_SECONDS / 2)

    await under_load(stack, http, "postgres stopped", fault)
    assert not errors, errors
    during = [r for r in seen if r.status_code != 200]
    assert during, "the API never noticed the database was down"
    assert max(waited) < 8, "a client waited long to hear the database is away"
    for response in during:
        assert response.status_code == 503, response.text
        assert "Retry-After" in response.headers
        assert response.json()["error"]["code"]


async def test_temporal_stopped_and_restarted(stack: FaultStack, http: httpx.AsyncClient) -> None:
    async def fault(stack: FaultStack, http: httpx.AsyncClient) -> None:
        await asyncio.sleep(LOAD_SECONDS / 2)
        await asyncio.to_thread(stack.stop_temporal)
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        await asyncio.to_thread(stack.start_temporal)
        await asyncio.sleep(LOAD_SECONDS / 2)

    await under_load(stack, http, "temporal restarted", fault)


async def test_projector_killed_mid_batch(stack: FaultStack, http: httpx.AsyncClient) -> None:
    async def fault(stack: FaultStack, http: httpx.AsyncClient) -> None:
        await asyncio.to_thread(stack.kill, "projector", signal.SIGKILL)
        await asyncio.sleep(LOAD_SECONDS)  # a backlog piles up
        for _ in range(KILLS):
            stack.restart("projector")
            await asyncio.sleep(1.5)  # catching up, 50 events per transaction
            await asyncio.to_thread(stack.kill, "projector", signal.SIGKILL)
        stack.restart("projector")

    await under_load(stack, http, "projector killed", fault)


async def test_api_restarted(stack: FaultStack, http: httpx.AsyncClient) -> None:
    async def fault(stack: FaultStack, http: httpx.AsyncClient) -> None:
        for _ in range(KILLS):
            await asyncio.sleep(LOAD_SECONDS / (KILLS + 1))
            await asyncio.to_thread(stack.kill, "api-1", signal.SIGKILL)
            stack.restart("api-1")
            await asyncio.to_thread(stack.wait_ready, stack.urls[0])
        await asyncio.sleep(LOAD_SECONDS / (KILLS + 1))

    await under_load(stack, http, "api restarted", fault)


def _delivery(secret: str, body: dict[str, object], msg_id: str) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body)
    at = datetime.now(UTC)
    return raw.encode(), {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, raw),
        "content-type": "application/json",
    }


async def test_webhooks_repeated_and_out_of_order(
    stack: FaultStack, http: httpx.AsyncClient
) -> None:
    name = f"enquete-{uuid.uuid4().hex[:6]}"
    secret = await asyncio.to_thread(stack.integrations.create, name, "utrecht")
    outcome = Outcome()
    client = Client(stack, outcome)
    (experiment_id,) = await client.start_experiments(http, 1)
    path = f"/v1/experiments/{experiment_id}/decisions"
    assert (await client.send(http, path, plan(1))) is not None
    await endorse(client, http, experiment_id)
    url = f"{stack.urls[0]}/v1/webhooks/{name}"

    async def deliver(decision: dict[str, object], msg_id: str) -> httpx.Response:
        raw, headers = _delivery(
            secret, {"experiment_id": experiment_id, "decision": decision}, msg_id
        )
        return await http.post(url, content=raw, headers=headers, timeout=60)

    # 20 identical deliveries at once: one decision, twenty identical answers.
    to_act = {"type": "advance", "to": "act", "rationale": "uitvoering start"}
    answers = await asyncio.gather(*(deliver(to_act, "msg_act") for _ in range(20)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.json()["position"] for a in answers}) == 1
    outcome.attempted.add("msg_act")
    outcome.acknowledged.add("msg_act")

    # Out of order: "learn" arrives before "evaluate" and is refused, changing nothing; sent
    # again after the earlier one, as the sender's retry would, it is taken.
    to_learn = {"type": "advance", "to": "learn", "rationale": "evaluatie klaar"}
    early = await deliver(to_learn, "msg_learn")
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "invalid_transition"
    finding = {
        "type": "record_finding",
        "text": "Bewoners: het werkt",
        "source": "residents",
        "on_behalf_of": "bewonersenquête",
    }
    assert (await deliver(finding, "msg_finding")).status_code == 200
    to_evaluate = {"type": "advance", "to": "evaluate", "rationale": "periode om"}
    assert (await deliver(to_evaluate, "msg_evaluate")).status_code == 200
    late = await deliver(to_learn, "msg_learn_retry")
    assert late.status_code == 200, late.text
    outcome.attempted |= {"msg_learn", "msg_finding", "msg_evaluate", "msg_learn_retry"}
    outcome.acknowledged |= {"msg_finding", "msg_evaluate", "msg_learn_retry"}

    stored = await asyncio.to_thread(stack.stored, [experiment_id])
    figures = outcome.report("webhooks", stored)
    assert figures["lost"] == 0
    assert figures["doubled"] == 0
    assert stored["msg_learn"] == 0, "a refused delivery left a trace"
    history = list(stored)
    assert history.index("msg_evaluate") < history.index("msg_learn_retry")
    await asyncio.to_thread(stack.check_read_models_equal_a_rebuild)


async def test_fifty_residents_vote_while_the_worker_is_killed(
    stack: FaultStack, http: httpx.AsyncClient
) -> None:
    """Fifty residents endorse at once, each sending again until answered, while the worker
    dies: every acknowledged vote is counted exactly once, and the round closes once."""
    outcome = Outcome()
    client = Client(stack, outcome)
    (experiment_id,) = await client.start_experiments(http, 1)
    path = f"/v1/experiments/{experiment_id}/decisions"
    assert (await client.send(http, path, plan(1))) is not None
    opened = await client.send(http, path, endorsement_round(RESIDENTS))
    assert opened is not None
    assert opened.status_code == 200, opened.text

    async def kill_the_worker() -> None:
        for _ in range(KILLS):
            await asyncio.sleep(0.5)
            await asyncio.to_thread(stack.kill, "worker", signal.SIGKILL)
            await asyncio.sleep(0.5)
            stack.restart("worker")

    votes = [
        client.send(http, path, {"type": "endorse", "comment": f"ja {n}"}, who=f"resident-{n}")
        for n in range(RESIDENTS)
    ]
    answers, _ = await asyncio.gather(asyncio.gather(*votes), kill_the_worker())
    refused = [
        a.text if a is not None else None for a in answers if a is None or a.status_code != 200
    ]
    assert not refused, refused
    assert not [s for s in outcome.statuses if s >= 500 and s != 503], outcome.statuses
    assert outcome.retry_after_missing == 0, "a 503 without Retry-After"

    stored = await asyncio.to_thread(stack.stored, [experiment_id])
    figures = outcome.report("residents vote, worker killed", stored)
    assert figures["lost"] == 0
    assert figures["doubled"] == 0
    assert len(outcome.acknowledged) == RESIDENTS + 2
    closing = [k for k in stored if "timer:endorsement_reached" in k]
    assert [stored[k] for k in closing] == [1], "the round closes exactly once"
    state = await client.send(http, path, {"type": "advance", "to": "act", "rationale": "gesteund"})
    assert state is not None
    assert state.status_code == 200, state.text
    endorsement = state.json()["experiment"]["endorsement"]
    assert (endorsement["status"], endorsement["endorsements"]) == ("reached", RESIDENTS)
    assert len(endorsement["votes"]) == RESIDENTS, "one standing vote per resident"
    await asyncio.to_thread(stack.check_read_models_equal_a_rebuild)


async def test_two_managers_advance_at_the_same_moment(
    stack: FaultStack, http: httpx.AsyncClient
) -> None:
    outcome = Outcome()
    client = Client(stack, outcome)
    ids = await client.start_experiments(http, 10 if FULL else 4)
    for experiment_id in ids:
        path = f"/v1/experiments/{experiment_id}/decisions"
        await client.send(http, path, plan(1))
        await endorse(client, http, experiment_id)
    for experiment_id in ids:
        path = f"/v1/experiments/{experiment_id}/decisions"
        advance = {"type": "advance", "to": "act", "rationale": "we gaan"}
        first, second = await asyncio.gather(
            client.send(http, path, advance, who="pm"),
            client.send(http, path, advance, who="pm2"),
        )
        assert first is not None
        assert second is not None
        codes = sorted([first.status_code, second.status_code])
        assert codes == [200, 409], (first.text, second.text)
        refused = first if first.status_code == 409 else second
        assert refused.json()["error"]["code"] == "invalid_transition"
    stored = await asyncio.to_thread(stack.stored, ids)
    figures = outcome.report("two managers", stored)
    assert figures["lost"] == 0
    assert figures["doubled"] == 0
    # Per experiment: the plan, the round, a resident's vote (the round's closing is the
    # workflow's own), and the one advance.
    assert figures["stored"] == figures["acknowledged"] == len(ids) * 4
    await asyncio.to_thread(stack.check_read_models_equal_a_rebuild)


async def test_every_decision_reaches_a_subscriber_while_worker_and_projector_die(
    stack: FaultStack, http: httpx.AsyncClient
) -> None:
    """The outbox runs in the worker: killing it (and the projector) mid-load loses no
    delivery and sends none twice under different webhook-ids."""
    admin = stack.keys.create("admin", "utrecht", "beheer")[0]
    with receiving([200]) as receiver:
        made = await http.post(
            f"{stack.urls[0]}/v1/subscriptions",
            headers={"Authorization": f"Bearer {admin}"},
            json={"url": receiver.url, "event_types": ["decision.recorded"]},
        )
        assert made.status_code == 201, made.text
        receiver.secret = made.json()["secret"]
        after = await asyncio.to_thread(stack.head)

        async def fault(stack: FaultStack, http: httpx.AsyncClient) -> None:
            for n in range(KILLS):
                await asyncio.sleep(LOAD_SECONDS / (KILLS + 1))
                name = "worker" if n % 2 == 0 else "projector"
                await asyncio.to_thread(stack.kill, name, signal.SIGKILL)
                await asyncio.sleep(0.5)
                stack.restart(name)
            await asyncio.sleep(LOAD_SECONDS / (KILLS + 1))

        # The long form: 1,000 decisions at least, the worker and the projector killed
        # again and again meanwhile.
        await under_load(
            stack,
            http,
            "worker and projector killed, deliveries",
            fault,
            at_least=1000 if FULL else 0,
        )
        decisions = await asyncio.to_thread(stack.events_after, after)
        deadline = asyncio.get_running_loop().time() + 180
        while asyncio.get_running_loop().time() < deadline:
            if len({r.webhook_id for r in receiver.received}) >= decisions:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # and none more
        distinct = {r.webhook_id for r in receiver.received}
        print(
            f"deliveries: decisions {decisions}, received {len(receiver.received)},"
            f" distinct webhook-ids {len(distinct)},"
            f" repeats {len(receiver.received) - len(distinct)}"
        )
        unverified = [(r.webhook_id, len(r.body)) for r in receiver.received if not r.verified]
        assert not unverified, ("every delivery verifies", unverified[:5])
        assert len(distinct) == decisions, (
            "every decision delivered, under one webhook-id each",
            await asyncio.to_thread(stack.deliveries_not_in, distinct),
        )
        bodies: dict[str, set[bytes]] = {}
        for r in receiver.received:
            bodies.setdefault(r.webhook_id, set()).add(r.body)
        assert all(len(b) == 1 for b in bodies.values()), "a repeat is the same message"
