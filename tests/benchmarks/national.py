"""`make bench-national`: wijklab at the size of every Dutch municipality using it at once.

340 municipalities with 50 open experiments each (17,000), every experiment six cycles
into its record (a year of two-month cycles), its workflow running; one municipality with 1,000 experiments; single
experiments with 1,000, 10,000 and 100,000 decisions. On that record, against the same
embedded default and the three production processes `make bench` starts:

- `rebuild_events_per_s` at 100,000 and at 1,000,000 events (the second at least 0.8 of the first);
- `decision_p95_ms` at a steady 3 decisions/s spread over all municipalities' experiments;
- `worker_rss_mb` with 17,000 open workflows, the workflow cache bounded (≤ 500);
- `history_page_p95_ms` at 1k, 10k and 100k decisions in one experiment (flat: the 100k
  figure at most 1.5 times the 1k figure);
- `experiments_page_p95_ms`: the overview page of the municipality with 1,000 experiments
  (≤ 100).

Takes about half an hour here; every long step shows its progress.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil

from domain.experiment import Experiment
from projections.rebuild import rebuild
from services.bootstrap import Runtime, experiment_workflows, prepare_stores
from services.infra.temporal import connect
from tests.benchmarks.rebuild import seed
from tests.benchmarks.run import (
    PLAN_FIELDS,
    Results,
    Stack,
    caught_up,
    history_page_p95,
    outbox_catch_up,
    percentile,
    progress,
    say,
    seed_history,
)
from tests.builders import one_cycle, record_opener, start

MUNICIPALITIES = 340
PER_MUNICIPALITY = 50
# Six cycles each: a year of two-month cycles, and a record of over a million events.
CYCLES = 6
BIG_MUNICIPALITY = 1000
HISTORIES = (1_000, 10_000, 100_000)
FIRST_REBUILD = 100_000
SECOND_REBUILD = 1_000_000
DECISION_RATE = 3.0
DECISION_SECONDS = 120
STARTERS = 16
WORKFLOW_CACHE = 1000
# Experiments saved at a time: a few hundred events per save is safe for psycopg's pipeline.
SAVE_BATCH = 8

TARGETS = {
    "decisions_failed": ("<=", 0),
    "rebuild_1m_ratio": (">=", 0.8),
    "decision_p95_ms": ("<=", 150),
    "worker_rss_mb": ("<=", 500),
    "history_flatness": ("<=", 1.5),
    "experiments_page_p95_ms": ("<=", 100),
}
KEYS = (
    "events",
    "open_workflows",
    "worker_settled_s",
    "rebuild_100k_events_per_s",
    "rebuild_1m_events_per_s",
    "rebuild_1m_ratio",
    "decisions_measured",
    "decisions_failed",
    "decision_p50_ms",
    "decision_p95_ms",
    "worker_rss_mb",
    "api_rss_mb",
    "history_1k_page_p95_ms",
    "history_10k_page_p95_ms",
    "history_100k_page_p95_ms",
    "history_flatness",
    "experiments_page_p95_ms",
)


def town(n: int) -> str:
    return f"gm{n:04d}"


def seed_towns(stack: Stack, towns: range, cycles: int) -> list[Experiment]:
    """The experiments of these municipalities, `cycles` cycles each, saved in batches."""
    made: list[Experiment] = []
    batch: list[Experiment] = []
    total = len(towns) * PER_MUNICIPALITY
    for t in towns:
        for k in range(PER_MUNICIPALITY):
            experiment = Experiment.start(
                start(
                    municipality=town(t),
                    title=f"Experiment {k} van {town(t)}",
                    neighbourhood={
                        "code": f"WK{t:04d}{k % 10:02d}",
                        "name": "Wijk",
                        "kind": "wijk",
                    },
                ),
                experiment_id=uuid.uuid4(),
            )
            for _ in range(cycles):
                for d in one_cycle():
                    experiment.decide(d)
            batch.append(experiment)
            if len(batch) == SAVE_BATCH:
                stack.experiments.save(*batch)
                made += batch
                batch = []
                progress("national experiments", len(made), total)
    if batch:
        stack.experiments.save(*batch)
        made += batch
        progress("national experiments", len(made), total)
    # What the workflows start from, without the aggregates' event lists.
    return made


def seed_big_town(stack: Stack) -> None:
    """The bench municipality's 1,000 experiments (its overview page is measured)."""
    batch: list[Experiment] = []
    for k in range(BIG_MUNICIPALITY):
        experiment = Experiment.start(
            start(municipality="bench", title=f"Buurtexperiment {k}"), experiment_id=uuid.uuid4()
        )
        for d in one_cycle()[: k % 10]:
            experiment.decide(d)
        batch.append(experiment)
        if len(batch) == 50 or k == BIG_MUNICIPALITY - 1:
            stack.experiments.save(*batch)
            batch = []
            progress("one municipality's experiments", k + 1, BIG_MUNICIPALITY)


async def quiet(stack: Stack, http: httpx.AsyncClient) -> None:
    """Wait until the projector and the outbox have read the whole record: a rebuild is
    measured alone, not against their catching up (which at a million events would last
    as long as the rebuild)."""
    await caught_up(http, stack.experiments.max_position(), "the record")
    waited = await asyncio.to_thread(outbox_catch_up, stack, 1800)
    say(f"  the projector and the outbox have read the record ({waited:.0f} s for the outbox)")


def measure_rebuild(stack: Stack, label: str) -> float:
    def show(p: Any) -> None:
        progress(f"rebuild at {label}", p.done, p.total)

    report = rebuild(stack.database, record_opener(stack.database), progress=show)
    say(f"  rebuilt {report.events:,} events in {report.seconds:.1f} s")
    return float(report.rate)


async def start_workflows(stack: Stack, experiments: list[Experiment]) -> None:
    """Every national experiment's workflow, started from its stored state (as reconcile
    does), `STARTERS` at a time."""
    rt = Runtime(settings=stack.settings, database=stack.database, experiments=stack.experiments)
    client = await connect(stack.settings, address=stack.address, wait=30)
    workflows = experiment_workflows(rt, client)
    queue: asyncio.Queue[Experiment] = asyncio.Queue()
    for experiment in experiments:
        queue.put_nowait(experiment)
    done = 0

    async def starter() -> None:
        nonlocal done
        while not queue.empty():
            experiment = queue.get_nowait()
            await workflows.restart_from_record(experiment)
            done += 1
            if done % 200 == 0 or done == len(experiments):
                progress("open workflows", done, len(experiments))

    await asyncio.gather(*(starter() for _ in range(STARTERS)))


def settled(stack: Stack, idle_percent: float = 15, timeout: float = 900) -> float:
    """Wait until the worker and the Temporal server are both idle (each under
    `idle_percent` of a core over 5 s): every workflow's first task taken, and nothing
    queued in the server for them. The seconds waited.

    The worker alone is not enough: once it got faster than the server, it went idle
    waiting for tasks the server had yet to hand out, and the decisions measured next
    queued behind those."""
    assert stack.temporal.process is not None
    watched = {
        "worker": psutil.Process(stack.processes["worker"].pid),
        "temporal": psutil.Process(stack.temporal.process.pid),
    }
    began = time.monotonic()
    for process in watched.values():
        process.cpu_percent(None)
    while time.monotonic() - began < timeout:
        time.sleep(5)
        busy = {name: process.cpu_percent(None) for name, process in watched.items()}
        say("  busy: " + ", ".join(f"{name} {b:.0f} %" for name, b in busy.items()))
        if all(b < idle_percent for b in busy.values()):
            break
    return time.monotonic() - began


async def steady_decisions(
    stack: Stack, experiments: list[Experiment], tokens: dict[str, str]
) -> tuple[list[float], list[int]]:
    """`DECISION_RATE` decisions a second for `DECISION_SECONDS`, each on a random national
    experiment, by its municipality's manager; the answers' times in ms, and the status of
    every answer that was not a success (a 503 says the decision did not finish in time)."""
    count = int(DECISION_RATE * DECISION_SECONDS)
    chosen = random.sample(experiments, count)
    timings: list[float] = []
    failed: list[int] = []
    late: list[int] = []  # which of them, in order of sending
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:

        async def one(k: int) -> None:
            experiment = chosen[k]
            municipality = experiment.state.municipality
            began = time.perf_counter()
            answer = await http.post(
                f"/v1/experiments/{experiment.id}/decisions",
                json={"type": "revise_plan", "rationale": f"landelijk {k}", **PLAN_FIELDS},
                headers={"Authorization": f"Bearer {tokens[municipality]}"},
            )
            if answer.status_code >= 300:
                failed.append(answer.status_code)
                late.append(k)
            else:
                timings.append((time.perf_counter() - began) * 1000)
            done = len(timings) + len(failed)
            if done % 30 == 0 or done == count:
                progress("decisions at 3/s", done, count)

        tasks = []
        began = time.perf_counter()
        for k in range(count):
            await asyncio.sleep(max(0.0, began + k / DECISION_RATE - time.perf_counter()))
            tasks.append(asyncio.create_task(one(k)))
        await asyncio.gather(*tasks)
    if late:
        say(f"  not answered in time: decisions {sorted(late)} of {count}")
    return timings, failed


async def overview_page(stack: Stack) -> float:
    """p95 of the overview page (`/experiments`) of the municipality with 1,000 experiments,
    as its programme manager sees it after signing in."""
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as browser:
        await browser.get("/sign-in")
        answer = await browser.post(
            "/sign-in",
            data={"csrf": browser.cookies.get("wijklab_csrf"), "token": stack.token},
        )
        assert answer.status_code in (200, 303), answer.text[:300]
        first = await browser.get("/experiments")
        assert first.status_code == 200
        timings = []
        for n in range(200):
            began = time.perf_counter()
            page = await browser.get("/experiments")
            timings.append((time.perf_counter() - began) * 1000)
            assert page.status_code == 200
            progress("overview pages", n + 1, 200)
    return percentile(timings, 95)


async def main() -> None:
    results = Results()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wijklab-national-") as tmp:
        say("starting the embedded default and wijklab api, worker and projector")
        stack = Stack(Path(tmp), extra_env={"WIJKLAB_WORKFLOW_CACHE": str(WORKFLOW_CACHE)})
        try:
            stack.wait_ready()
            headers = {"Authorization": f"Bearer {stack.token}"}
            rt = Runtime(
                settings=stack.settings, database=stack.database, experiments=stack.experiments
            )
            keys = prepare_stores(rt).keys
            tokens = {
                town(t): keys.create("programme_manager", town(t), f"manager {town(t)}")[0]
                for t in range(MUNICIPALITIES)
            }
            async with httpx.AsyncClient(
                base_url=stack.base_url, headers=headers, timeout=300
            ) as http:
                per_experiment = 1 + CYCLES * len(one_cycle())
                first_towns = FIRST_REBUILD // (PER_MUNICIPALITY * per_experiment) + 1
                say(f"1. the first {first_towns} municipalities, then a rebuild at 100,000")
                national = await asyncio.to_thread(seed_towns, stack, range(first_towns), CYCLES)
                await quiet(stack, http)
                results["rebuild_100k_events_per_s"] = await asyncio.to_thread(
                    measure_rebuild, stack, "100k"
                )
                say("2. the other municipalities, one with 1,000 experiments, long histories")
                national += await asyncio.to_thread(
                    seed_towns, stack, range(first_towns, MUNICIPALITIES), CYCLES
                )
                await asyncio.to_thread(seed_big_town, stack)
                longest = {}
                for size in HISTORIES:
                    longest[size] = await asyncio.to_thread(seed_history, stack.experiments, size)
                missing = SECOND_REBUILD - stack.experiments.max_position()
                if missing > 0:  # a million at least, whatever a cycle holds
                    await asyncio.to_thread(seed, stack.experiments, missing)
                results["events"] = stack.experiments.max_position()
                await quiet(stack, http)
                say("3. a rebuild at a million events and more")
                results["rebuild_1m_events_per_s"] = await asyncio.to_thread(
                    measure_rebuild, stack, f"{results['events'] / 1e6:.1f}M"
                )
                results["rebuild_1m_ratio"] = (
                    results["rebuild_1m_events_per_s"] / results["rebuild_100k_events_per_s"]
                )
                await caught_up(http, stack.experiments.max_position(), "the record")
                say(f"4. {len(national):,} workflows started from the record")
                await start_workflows(stack, national)
                results["open_workflows"] = len(national)
                results["worker_settled_s"] = await asyncio.to_thread(settled, stack)
                say("5. decisions at a steady 3 a second over every municipality")
                timings, failed = await steady_decisions(stack, national, tokens)
                if failed:
                    say(f"  {len(failed)} decisions not answered in time: {failed[:10]}")
                results["decisions_measured"] = len(timings)
                results["decisions_failed"] = len(failed)
                results["decision_p50_ms"] = percentile(timings, 50)
                results["decision_p95_ms"] = percentile(timings, 95)
                results["worker_rss_mb"] = stack.rss_mb("worker")
                results["api_rss_mb"] = stack.rss_mb("api")
                say("6. history pages at 1k, 10k and 100k decisions in one experiment")
                await caught_up(http, stack.experiments.max_position(), "the decisions")
                for size, label in zip(HISTORIES, ("1k", "10k", "100k"), strict=True):
                    results[f"history_{label}_page_p95_ms"] = await history_page_p95(
                        http, longest[size]
                    )
                results["history_flatness"] = (
                    results["history_100k_page_p95_ms"] / results["history_1k_page_p95_ms"]
                )
                say("7. the overview page of a municipality with 1,000 experiments")
                results["experiments_page_p95_ms"] = await overview_page(stack)
        except BaseException:
            stack.show_logs()
            raise
        finally:
            stack.stop()
    say(f"national bench done in {(time.monotonic() - began) / 60:.1f} min")
    print_report(results)


def print_report(results: dict[str, Any]) -> None:
    print(f"{'measure':<28} {'value':>14}  target")
    for key in KEYS:
        value = results[key]
        target = ""
        if key in TARGETS:
            op, bound = TARGETS[key]
            met = value >= bound if op == ">=" else value <= bound
            target = f"{op} {bound}  {'met' if met else 'MISSED'}"
        print(f"{key:<28} {value:>14,.2f}  {target}")
    print(json.dumps({key: round(results[key], 3) for key in KEYS}))
