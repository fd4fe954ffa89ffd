"""`make bench`: wijklab against raw ceilings measured in the same run, on the same servers.

Starts the embedded default once (PostgreSQL from its wheel, the Temporal dev server with the
flags `wijklab dev` uses) and the three production processes (`wijklab api`, `worker`,
`projector`) against it, then measures. Every figure that judges the project is a ratio to a
baseline taken here and now: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from temporalio.client import Client
from temporalio.worker import Worker

from domain.experiment import Experiment
from projections.rebuild import rebuild
from services.bootstrap import Runtime, prepare_stores
from services.infra.embedded_postgres import EmbeddedPostgres
from services.infra.event_store import Experiments
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.infra.temporal import TemporalDevServer
from services.settings import Settings
from tests.benchmarks.bare import BareWorkflow, noop
from tests.benchmarks.programme import programme_reads, seed_programme
from tests.benchmarks.rebuild import export, raw_read, seed
from tests.builders import PM, decision, record_opener, start
from tests.conftest import free_port, wait_ready
from tests.webhook_receiver import Receiver, receiving
from workflows import search_attributes

CALLERS = 16
EXPERIMENTS = 200
DECISIONS = 1000
ROUNDS = 4
LAG_SECONDS = 30
DELIVERY_SECONDS = 20
REBUILD_EVENTS = 100_000
HISTORY_DECISIONS = 10_000
OPEN_WORKFLOWS = 1000


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress(label: str, done: int, total: int) -> None:
    print(
        f"\r  {label}: {done:,} / {total:,}",
        end="" if done < total else "\n",
        file=sys.stderr,
        flush=True,
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def in_parallel(
    count: int, callers: int, work: Callable[[int], Awaitable[None]], label: str
) -> float:
    """Run `work(0..count-1)` with `callers` concurrent callers; return the elapsed seconds."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    done = 0

    async def caller() -> None:
        nonlocal done
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await work(n)
            done += 1
            if done % 50 == 0 or done == count:
                progress(label, done, count)

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return time.perf_counter() - began


class Stack:
    """The embedded default and the three production processes."""

    def __init__(self, root: Path, extra_env: dict[str, str] | None = None) -> None:
        self.root = root
        self.embedded = EmbeddedPostgres(root)
        self.params = self.embedded.start()
        self.database = Database(params=self.params, schema="wijklab")
        self.database.ensure_schema()
        settings = Settings(
            WIJKLAB_DATA_DIR=root,
            WIJKLAB_TEMPORAL_PORT=free_port(),
            WIJKLAB_TEMPORAL_UI_PORT=free_port(),
        )
        self.temporal = TemporalDevServer(settings, search_attributes.ALL, headless=True)
        self.address = self.temporal.start()
        # Chosen only now: the dev server takes random free ports of its own as it starts.
        self.settings = settings.model_copy(update={"http_port": free_port()})
        migrate(self.database)
        self.experiments = Experiments.open(self.database)
        rt = Runtime(settings=self.settings, database=self.database, experiments=self.experiments)
        keys = prepare_stores(rt).keys
        self.token, _ = keys.create("programme_manager", "bench", "bench")
        self.admin_token, _ = keys.create("admin", "bench", "bench admin")
        url = "postgresql://?" + make_conninfo(**self.params).replace(" ", "&")
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "TEMPORAL_ADDRESS": self.address,
            "WIJKLAB_HTTP_PORT": str(self.settings.http_port),
            "WIJKLAB_DATA_DIR": str(root),
            "WIJKLAB_LOG_LEVEL": "WARNING",
            "WIJKLAB_LOG_FORMAT": "json",
            # The delivery-lag receiver listens on this machine.
            "WIJKLAB_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
            **(extra_env or {}),
        }
        wijklab = shutil.which("wijklab", path=str(Path(sys.executable).parent))
        assert wijklab
        self.processes = {
            name: subprocess.Popen(
                [wijklab, name], env=self.env, stderr=(root / f"{name}.log").open("wb")
            )
            for name in ("projector", "worker", "api")
        }
        self.base_url = f"http://127.0.0.1:{self.settings.http_port}"

    def rss_mb(self, name: str) -> float:
        return psutil.Process(self.processes[name].pid).memory_info().rss / 2**20

    def wait_ready(self) -> None:
        wait_ready(self.base_url)

    def show_logs(self) -> None:
        """The end of each process's log, when a run fails."""
        for name in self.processes:
            say(f"--- {name}.log (end)")
            say((self.root / f"{name}.log").read_text(errors="replace")[-4000:])

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.experiments.close()
        self.temporal.stop()
        self.embedded.stop()


def experiment_body(n: int) -> dict[str, Any]:
    return {
        "neighbourhood": {"code": f"WK{n % 20:06d}", "name": f"Wijk {n % 20}", "kind": "wijk"},
        "title": f"Experiment {n}",
        "question": "Helpt het?",
        "residents_agenda": "Bewoners vroegen erom.",
        "themes": ["health"],
    }


PLAN_FIELDS = {
    "description": "plan",
    "indicators": [{"name": "bereik", "target": 10}],
    "budget": [{"source": "wmo", "amount_eur": 100}],
}


class CpuMeter:
    """CPU seconds used by each process of the stack, to split a phase's cost among them.

    Throughput on a shared machine swings with whatever else runs; the CPU an operation costs
    each process does not, so it says where the time goes and what a change saved.
    """

    def __init__(self, stack: Stack) -> None:
        pidfile = stack.embedded.pgdata / "postmaster.pid"
        assert stack.temporal.process is not None
        self.roots = {
            **{name: psutil.Process(p.pid) for name, p in stack.processes.items()},
            "temporal": psutil.Process(stack.temporal.process.pid),
            "postgres": psutil.Process(int(pidfile.read_text().split()[0])),
            "bench": psutil.Process(),
        }
        self.used: dict[str, dict[str, float]] = {}

    def now(self) -> dict[str, float]:
        def seconds(p: psutil.Process) -> float:
            try:
                t = p.cpu_times()
            except psutil.NoSuchProcess:
                return 0.0
            return float(t.user + t.system)

        totals = {}
        for name, root in self.roots.items():
            # PostgreSQL serves each connection from a child process of its own.
            children = root.children(recursive=True) if name == "postgres" else []
            totals[name] = seconds(root) + sum(seconds(c) for c in children)
        return totals

    def add(self, phase: str, before: dict[str, float], after: dict[str, float]) -> None:
        used = self.used.setdefault(phase, dict.fromkeys(before, 0.0))
        for name in before:
            # Backends that ended between the readings drop out of the sum: never negative.
            used[name] += max(0.0, after[name] - before[name])

    def table(self, operations: dict[str, int]) -> str:
        phases = list(self.used)
        lines = [f"{'CPU ms per operation':<24}" + "".join(f"{p:>12}" for p in phases)]
        for name in self.roots:
            lines.append(
                f"{name:<24}"
                + "".join(f"{1000 * self.used[p][name] / operations[p]:>12.1f}" for p in phases)
            )
        lines.append(
            f"{'total':<24}"
            + "".join(f"{1000 * sum(self.used[p].values()) / operations[p]:>12.1f}" for p in phases)
        )
        return "\n".join(lines)


async def updates_and_decisions(
    stack: Stack, http: httpx.AsyncClient, meter: CpuMeter
) -> tuple[float, float, list[str]]:
    """Raw updates and decisions over HTTP, measured in alternating rounds.

    Each round runs a share of the raw updates, then the same share of decisions, so both
    rates see the same background load on this shared machine; measured one after the
    other, a minute apart, the ratio swung between 0.45 and 1.2 between runs.
    """
    client = await Client.connect(stack.address)
    queue = f"bare-{uuid.uuid4().hex[:6]}"
    bare = [f"bare-{uuid.uuid4().hex}" for _ in range(EXPERIMENTS)]
    ids: list[str] = [""] * EXPERIMENTS

    async def create(n: int) -> None:
        response = await http.post("/v1/experiments", json=experiment_body(n))
        response.raise_for_status()
        ids[n] = response.json()["id"]

    async def touch(n: int) -> None:
        handle = client.get_workflow_handle_for(BareWorkflow.run, bare[n % len(bare)])
        await handle.execute_update(BareWorkflow.touch, n)

    async def decide(n: int) -> None:
        body = {"type": "revise_plan", "rationale": f"versie {n}", **PLAN_FIELDS}
        response = await http.post(f"/v1/experiments/{ids[n % EXPERIMENTS]}/decisions", json=body)
        response.raise_for_status()

    seconds = {"raw": 0.0, "e2e": 0.0}
    per_round = DECISIONS // ROUNDS
    async with Worker(client, task_queue=queue, workflows=[BareWorkflow], activities=[noop]):
        for workflow_id in bare:
            await client.start_workflow(BareWorkflow.run, id=workflow_id, task_queue=queue)
        await in_parallel(EXPERIMENTS, CALLERS, create, "experiments")
        for round_ in range(ROUNDS):
            first = round_ * per_round
            for phase, work in (("raw", touch), ("e2e", decide)):
                label = "raw updates" if phase == "raw" else "decisions over HTTP"

                async def one(
                    n: int, work: Callable[[int], Awaitable[None]] = work, first: int = first
                ) -> None:
                    await work(first + n)

                before = meter.now()
                seconds[phase] += await in_parallel(
                    per_round, CALLERS, one, f"round {round_ + 1}/{ROUNDS} {label}"
                )
                meter.add(phase, before, meter.now())
        for workflow_id in bare:
            await client.get_workflow_handle(workflow_id).signal(BareWorkflow.finish)
    done = per_round * ROUNDS
    return done / seconds["raw"], done / seconds["e2e"], ids


class PositionWatch:
    """Notes when each position becomes visible in the read models (polled every 2 ms)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.seen: list[tuple[int, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        with psycopg.connect(self.database.conninfo, autocommit=True) as conn:
            last = -1
            while not self.stop.is_set():
                row = conn.execute("SELECT notification_id FROM wijklab_read.position").fetchone()
                position = int(row[0]) if row else 0
                if position != last:
                    self.seen.append((position, time.perf_counter()))
                    last = position
                time.sleep(0.002)

    def visible_at(self, position: int) -> float | None:
        for seen, at in self.seen:
            if seen >= position:
                return at
        return None


async def paced_decisions(
    http: httpx.AsyncClient, ids: list[str], rate: float, seconds: float, label: str
) -> list[tuple[dict[str, Any], float]]:
    """Decisions at `rate` per second for `seconds`: each answer and when it came."""
    interval = 1 / max(rate, 1)
    answers: list[tuple[dict[str, Any], float]] = []
    began = time.perf_counter()
    n = 0
    pending: set[asyncio.Task[None]] = set()

    async def one(k: int) -> None:
        body = {"type": "revise_plan", "rationale": f"{label} {k}", **PLAN_FIELDS}
        response = await http.post(f"/v1/experiments/{ids[k % len(ids)]}/decisions", json=body)
        response.raise_for_status()
        answers.append((response.json(), time.perf_counter()))

    while time.perf_counter() - began < seconds:
        task = asyncio.create_task(one(n))
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1
        if n % 20 == 0:
            print(
                f"\r  {label}: {time.perf_counter() - began:4.0f} / {seconds:.0f} s",
                end="",
                file=sys.stderr,
            )
        await asyncio.sleep(max(0.0, began + n * interval - time.perf_counter()))
    await asyncio.gather(*pending)
    print(file=sys.stderr)
    return answers


async def projection_lag(
    stack: Stack, http: httpx.AsyncClient, ids: list[str], rate: float
) -> list[float]:
    watch = PositionWatch(stack.database)
    answers = await paced_decisions(http, ids, rate * 0.5, LAG_SECONDS, "projection lag")
    await asyncio.sleep(1)
    watch.stop.set()
    watch.thread.join()
    lags = []
    for answer, answered in answers:
        visible = watch.visible_at(answer["position"])
        if visible is not None:
            lags.append(max(0.0, visible - answered) * 1000)
    return lags


async def delivery_lag(
    stack: Stack, http: httpx.AsyncClient, ids: list[str], rate: float
) -> list[float]:
    """From a decision's answer until its `decision.recorded` reaches a subscribed receiver
    on this machine (outbox, Temporal workflow, signed POST), at half the e2e rate."""
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    # Steady state: the outbox (in the worker) first reads what the phases before wrote.
    caught_up = await asyncio.to_thread(outbox_catch_up, stack)
    say(f"  the outbox caught up with the record in {caught_up:.1f} s")
    with receiving([200]) as receiver:
        made = await http.post(
            "/v1/subscriptions",
            headers=admin,
            json={"url": receiver.url, "event_types": ["decision.recorded"]},
        )
        made.raise_for_status()
        receiver.secret = made.json()["secret"]
        try:
            answers = await paced_decisions(http, ids, rate * 0.5, DELIVERY_SECONDS, "delivery lag")
            await _all_delivered(receiver, {a["decision_id"] for a, _ in answers})
        finally:
            # Later phases write many events; they are not this measure's business.
            gone = await http.delete(f"/v1/subscriptions/{made.json()['id']}", headers=admin)
            gone.raise_for_status()
    retried = await asyncio.to_thread(_retried_deliveries, stack, made.json()["id"])
    if retried:
        say(
            f"  {len(retried)} deliveries needed more than one attempt; first errors: {retried[:3]}"
        )
    arrived: dict[str, float] = {}
    for received in receiver.received:
        data = json.loads(received.body)["data"]
        arrived.setdefault(data["decision_id"], received.at)
    assert all(r.verified for r in receiver.received), "every delivery verifies"
    stages = await asyncio.to_thread(_delivery_stages, stack, made.json()["id"])
    say_where_the_tail_waits(answers, arrived, stages)
    return [
        max(0.0, arrived[a["decision_id"]] - answered) * 1000
        for a, answered in answers
        if a["decision_id"] in arrived
    ]


def _delivery_stages(stack: Stack, subscription_id: str) -> dict[str, tuple[float, float]]:
    """Per decision, when the outbox wrote its delivery and when Temporal took it over
    (wall-clock seconds)."""
    with stack.database.connect(autocommit=True) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT body->'data'->>'decision_id', extract(epoch FROM created_at),"
                " extract(epoch FROM dispatched_at) FROM {}.deliveries"
                " WHERE subscription_id = %s AND dispatched_at IS NOT NULL"
            ).format(sql.Identifier(stack.database.schema)),
            (subscription_id,),
        ).fetchall()
    return {str(r[0]): (float(r[1]), float(r[2])) for r in rows}


def say_where_the_tail_waits(
    answers: list[tuple[dict[str, Any], float]],
    arrived: dict[str, float],
    stages: dict[str, tuple[float, float]],
) -> None:
    """For the slowest 2 % of deliveries: how long from the answer to the outbox's row, from
    the row to Temporal's start, and from there to the receiver."""
    to_wall = time.time() - time.perf_counter()
    spans = []
    for answer, answered in answers:
        decision_id = answer["decision_id"]
        if decision_id not in arrived or decision_id not in stages:
            continue
        written, started = stages[decision_id]
        begun, came = answered + to_wall, arrived[decision_id] + to_wall
        spans.append((came - begun, written - begun, started - written, came - started))
    if not spans:
        return
    spans.sort(reverse=True)
    tail = spans[: max(1, len(spans) // 50)]
    mean = [sum(s[i] for s in tail) / len(tail) * 1000 for i in range(4)]
    say(
        f"  slowest {len(tail)} deliveries: {mean[0]:.0f} ms = outbox {mean[1]:.0f}"
        f" + hand-over {mean[2]:.0f} + Temporal and the attempt {mean[3]:.0f}"
    )


def _retried_deliveries(stack: Stack, subscription_id: str) -> list[str]:
    """The errors of the deliveries that took more than one attempt: a lag's long tail
    is a retry on the specification's schedule (the second attempt comes 5 s later)."""
    with stack.database.connect(autocommit=True) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT coalesce(last_error, '') FROM {}.deliveries"
                " WHERE subscription_id = %s AND attempts > 1 ORDER BY position"
            ).format(sql.Identifier(stack.database.schema)),
            (subscription_id,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def raw_rate(stack: Stack) -> float:
    """Events per second read raw from the record (see `raw_read`)."""
    total, seconds = raw_read(stack.experiments)
    return total / seconds


def outbox_catch_up(stack: Stack, timeout: float = 300) -> float:
    """Seconds until the outbox's position reaches the record's head."""
    head = stack.experiments.max_position()
    began = time.perf_counter()
    with stack.database.connect(autocommit=True) as conn:
        while time.perf_counter() - began < timeout:
            row = conn.execute(
                "SELECT max(notification_id) FROM wijklab.outbox_tracking"
            ).fetchone()
            if row and (row[0] or 0) >= head:
                break
            time.sleep(0.1)
    return time.perf_counter() - began


def record_read(stack: Stack, timeout: float = 600) -> float:
    """Seconds until the projector and the outbox have both read up to the record's head."""
    head = stack.experiments.max_position()
    began = time.perf_counter()
    with stack.database.connect(autocommit=True) as conn:
        while time.perf_counter() - began < timeout:
            row = conn.execute("SELECT notification_id FROM wijklab_read.position").fetchone()
            if row and row[0] >= head:
                break
            time.sleep(0.1)
    return outbox_catch_up(stack, timeout) + time.perf_counter() - began


async def _all_delivered(receiver: Receiver, decision_ids: set[str], timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        seen = {json.loads(r.body)["data"]["decision_id"] for r in list(receiver.received)}
        if decision_ids <= seen:
            return
        await asyncio.sleep(0.2)
    say(f"  {len(decision_ids - seen)} decisions not delivered within {timeout:.0f} s")


def seed_history(experiments: Experiments, count: int) -> uuid.UUID:
    experiment = Experiment.start(start(municipality="bench"), experiment_id=uuid.uuid4())
    experiments.save(experiment)
    for n in range(count - 1):
        experiment.decide(
            decision("revise_plan", PM, **{**PLAN_FIELDS, "description": f"versie {n}"})
        )
        if n % 20 == 19 or n == count - 2:
            experiments.save(experiment)
            progress("long history", n + 2, count)
    return experiment.id


async def caught_up(http: httpx.AsyncClient, position: int, label: str) -> None:
    """Wait until the read models include `position` (a bulk seed takes the projector a while)."""
    while (
        await http.get("/v1/experiments", params={"min_position": position, "limit": 1})
    ).status_code != 200:
        say(f"  waiting for the projector to reach {label}")


async def history_reads(
    stack: Stack, http: httpx.AsyncClient, experiment_id: uuid.UUID
) -> tuple[float, float]:
    await caught_up(http, stack.experiments.max_position(), "the long history")
    page_p95 = await history_page_p95(http, experiment_id, max_pages=100)
    began = time.perf_counter()
    csv_response = await http.get(
        f"/v1/experiments/{experiment_id}/decisions", headers={"Accept": "text/csv"}
    )
    csv_seconds = time.perf_counter() - began
    rows = csv_response.text.count("\n") - 1
    assert rows == HISTORY_DECISIONS, f"the CSV holds {rows} decisions"
    return page_p95, csv_seconds


async def history_page_p95(
    http: httpx.AsyncClient, experiment_id: uuid.UUID, max_pages: int | None = None
) -> float:
    """p95 of 200 reads of a page of 100 decisions, each at random among the history's first
    `max_pages` pages (all of them when None)."""
    cursors: list[str | None] = [None]
    path = f"/v1/experiments/{experiment_id}/decisions"
    page = (await http.get(path, params={"limit": 100})).json()
    while page["next_cursor"] and (max_pages is None or len(cursors) < max_pages):
        cursors.append(page["next_cursor"])
        page = (await http.get(path, params={"limit": 100, "cursor": page["next_cursor"]})).json()
    timings = []
    for n in range(200):
        params: dict[str, Any] = {"limit": 100}
        cursor = random.choice(cursors)
        if cursor:
            params["cursor"] = cursor
        began = time.perf_counter()
        response = await http.get(path, params=params)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
        progress(f"history pages ({len(cursors)} pages)", n + 1, 200)
    return percentile(timings, 95)


async def open_workflows(http: httpx.AsyncClient, count: int) -> None:
    async def create(n: int) -> None:
        response = await http.post("/v1/experiments", json=experiment_body(n))
        response.raise_for_status()

    await in_parallel(count, CALLERS, create, "open workflows")


async def main() -> None:
    results = Results()
    with tempfile.TemporaryDirectory(prefix="wijklab-bench-") as tmp:
        say("starting the embedded default and wijklab api, worker and projector")
        stack = Stack(Path(tmp))
        try:
            stack.wait_ready()
            headers = {"Authorization": f"Bearer {stack.token}"}
            limits = httpx.Limits(max_connections=CALLERS * 2)
            async with httpx.AsyncClient(
                base_url=stack.base_url, headers=headers, timeout=60, limits=limits
            ) as http:
                say("1-2. raw updates (bare workflow, no-op activity) and decisions end to end")
                say(f"     over HTTP, in {ROUNDS} alternating rounds")
                meter = CpuMeter(stack)
                raw, e2e_rate, ids = await updates_and_decisions(stack, http, meter)
                results["raw_updates_per_s"] = raw
                results["e2e_decisions_per_s"] = e2e_rate
                results["e2e_ratio"] = e2e_rate / raw
                cpu_table = meter.table(
                    {"raw": DECISIONS // ROUNDS * ROUNDS, "e2e": DECISIONS // ROUNDS * ROUNDS}
                )
                say("3. projection lag at half the end-to-end rate")
                lags = await projection_lag(stack, http, ids, results["e2e_decisions_per_s"])
                results["lag_p50_ms"] = percentile(lags, 50)
                results["lag_p99_ms"] = percentile(lags, 99)
                say("3b. delivery lag at half the end-to-end rate (a receiver on this machine)")
                delays = await delivery_lag(stack, http, ids, results["e2e_decisions_per_s"])
                results["delivery_lag_p50_ms"] = percentile(delays, 50)
                results["delivery_lag_p99_ms"] = percentile(delays, 99)
                say("5. history reads on an experiment with 10,000 decisions")
                long_one = await asyncio.to_thread(
                    seed_history, stack.experiments, HISTORY_DECISIONS
                )
                results["history_page_p95_ms"], results["history_csv_s"] = await history_reads(
                    stack, http, long_one
                )
                say("5b. a programme of 20 neighbourhoods, 200 experiments and five years:")
                say("    its page and the council's PDF report")
                programme_id, position = await asyncio.to_thread(
                    seed_programme, stack.experiments, "bench", progress
                )
                await caught_up(http, position, "programme")
                with httpx.Client(base_url=stack.base_url, headers=headers, timeout=300) as sync:
                    page_p95, pdf_s = await asyncio.to_thread(programme_reads, sync, programme_id)
                results["programme_page_p95_ms"] = page_p95
                results["report_pdf_s"] = pdf_s
                say("6. memory with 1,000 open experiment workflows")
                await open_workflows(http, OPEN_WORKFLOWS)
                results["worker_rss_mb"] = stack.rss_mb("worker")
                results["api_rss_mb"] = stack.rss_mb("api")
            say("4. rebuild against a raw read of the same events")
            missing = REBUILD_EVENTS - stack.experiments.max_position()
            if missing > 0:
                await asyncio.to_thread(seed, stack.experiments, missing)
            # Measured alone: the projector and the outbox follow the seeding in their
            # processes meanwhile, and a raw read sharing the cores with them ran at two thirds
            # of its rate.
            waited = await asyncio.to_thread(record_read, stack)
            say(f"  the projector and the outbox read the record in {waited:.1f} s")
            # The raw read is read before the rebuild, between it and the export and after
            # both, and the fastest of the three is the baseline of both ratios: one read of
            # a second and a half on a shared machine swung between 43,000 and 84,000
            # events/s from run to run, and a slow one made the ratios look better.
            raw_rates = [raw_rate(stack)]

            def show(p: Any) -> None:
                progress("rebuild", p.done, p.total)

            report = await asyncio.to_thread(
                rebuild, stack.database, record_opener(stack.database), progress=show
            )
            raw_rates.append(raw_rate(stack))
            say("7. archive export of the seeded municipality against the same raw read")
            exported = await asyncio.to_thread(
                export, stack.experiments, stack.database, Path(tmp) / "archive"
            )
            raw_rates.append(raw_rate(stack))
            say("  raw reads: " + ", ".join(f"{rate:,.0f}" for rate in raw_rates) + " events/s")
            results["raw_read_events_per_s"] = max(raw_rates)
            results["rebuild_events_per_s"] = report.rate
            results["rebuild_ratio"] = report.rate / results["raw_read_events_per_s"]
            results["rebuild_events"] = report.events
            results["export_events_per_s"] = exported.rate
            results["export_ratio"] = exported.rate / results["raw_read_events_per_s"]
        except BaseException:
            stack.show_logs()
            raise
        finally:
            stack.stop()
    print(cpu_table)
    print()
    print_report(results)


class Results(dict[str, Any]):
    """The figures, each said on the terminal as soon as it is measured."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        say(f"  {key} = {value:,.2f}")


TARGETS = {
    "e2e_ratio": (">=", 0.8),
    "lag_p99_ms": ("<=", 100),
    "delivery_lag_p99_ms": ("<=", 500),
    "rebuild_ratio": (">=", 0.5),
    "export_ratio": (">=", 0.5),
    "history_page_p95_ms": ("<=", 30),
    "history_csv_s": ("<=", 2),
    "programme_page_p95_ms": ("<=", 150),
    "report_pdf_s": ("<=", 5),
    "worker_rss_mb": ("<=", 300),
}
KEYS = (
    "raw_updates_per_s",
    "e2e_decisions_per_s",
    "e2e_ratio",
    "lag_p50_ms",
    "lag_p99_ms",
    "delivery_lag_p50_ms",
    "delivery_lag_p99_ms",
    "raw_read_events_per_s",
    "rebuild_events_per_s",
    "rebuild_ratio",
    "export_events_per_s",
    "export_ratio",
    "history_page_p95_ms",
    "history_csv_s",
    "programme_page_p95_ms",
    "report_pdf_s",
    "worker_rss_mb",
    "api_rss_mb",
)


def print_report(results: dict[str, Any]) -> None:
    print(f"{'measure':<24} {'value':>12}  target")
    for key in KEYS:
        value = results[key]
        target = ""
        if key in TARGETS:
            op, bound = TARGETS[key]
            met = value >= bound if op == ">=" else value <= bound
            target = f"{op} {bound}  {'met' if met else 'MISSED'}"
        print(f"{key:<24} {value:>12,.2f}  {target}")
    print(json.dumps({key: round(results[key], 3) for key in KEYS}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        choices=("default", "national"),
        default="default",
        help="default: the ten-minute run and its targets; national: 340 municipalities",
    )
    if parser.parse_args().scale == "national":
        from tests.benchmarks import national

        asyncio.run(national.main())
    else:
        asyncio.run(main())
