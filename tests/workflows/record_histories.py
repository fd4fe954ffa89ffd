"""Record real workflow histories for the replay tests: `make histories`.

Run it after a deliberate, versioned change to the workflow (see docs/workflow-versioning.md)
and commit the new files beside the old ones: old histories must keep replaying for as long
as workflows that started under them may still be running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.errors import RuleViolation
from domain.values import Actor, Role
from services.infra.embedded_postgres import EmbeddedPostgres
from services.infra.event_store import Experiments
from services.infra.postgres import Database
from tests.builders import PLAN, RESIDENT, decision, one_cycle, round_closing_on, start
from tests.workflows.conftest import skip_time
from workflows.client import ExperimentWorkflows
from workflows.payloads import workflow_id
from workflows.worker import build_worker, ensure_search_attributes

HISTORIES = Path(__file__).parent / "histories"
# Bump with every workflow change recorded, so new files sit beside the old ones.
VERSION = "v4"


async def _save(
    client: Client, experiment_id: uuid.UUID, name: str, run_id: str | None = None
) -> None:
    handle = client.get_workflow_handle(workflow_id(str(experiment_id)), run_id=run_id)
    history = await handle.fetch_history()
    path = HISTORIES / f"{VERSION}-{name}.json"
    path.write_text(history.to_json())
    print(f"  {path.name}: {len(history.events)} events")


async def record(experiments: Experiments) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server")
    )
    async with env:
        await ensure_search_attributes(env.client)
        workflows = ExperimentWorkflows(env.client, task_queue="record", overdue_grace_days=14)
        with ThreadPoolExecutor(4) as executor:
            worker = build_worker(
                env.client, experiments, task_queue="record", executor=executor, threads=4
            )
            async with worker:
                # A first cycle: refusals, a repeat, an endorsement round that a revision
                # reopens and the threshold closes, the timers, continue-as-new at the end.
                first = uuid.uuid4()
                await workflows.start(first, start())
                handle = env.client.get_workflow_handle(workflow_id(str(first)))
                first_run = (await handle.describe()).run_id
                cycle = one_cycle(rounds=True)
                await workflows.decide(first, cycle[0])
                await workflows.decide(first, cycle[0])  # a repeat
                await workflows.decide(
                    first,
                    decision(
                        "open_endorsement", closes_on=round_closing_on(14), threshold={"count": 2}
                    ),
                )
                await workflows.decide(first, decision("endorse", _resident(1)))
                await skip_time(env, timedelta(days=3))
                await workflows.decide(first, decision("revise_plan", **PLAN))
                with contextlib.suppress(RuleViolation):  # refused on purpose
                    await workflows.decide(first, decision("advance", to="act"))
                for n in (1, 2):
                    await workflows.decide(first, decision("endorse", _resident(n)))
                await workflows.decide(first, decision("advance", to="act"))
                await skip_time(env, timedelta(days=91))
                await skip_time(env, timedelta(days=15))
                for d in cycle[4:]:
                    await workflows.decide(first, d)
                await _save(env.client, first, "cycle-with-timers-and-continue-as-new", first_run)

                # The run after continue-as-new: a round that fails at its deadline, one that
                # reaches, evaluation overdue, and closing. The workflow's clock is 109 days
                # ahead of the wall clock by now.
                await workflows.decide(
                    first,
                    decision(
                        "open_endorsement",
                        closes_on=round_closing_on(109 + 7),
                        threshold={"count": 3},
                    ),
                )
                await workflows.decide(first, decision("object", _resident(3), comment="nee"))
                await skip_time(env, timedelta(days=9))
                await workflows.decide(
                    first,
                    decision(
                        "open_endorsement",
                        closes_on=round_closing_on(118 + 7),
                        threshold={"count": 1},
                    ),
                )
                await workflows.decide(first, decision("endorse", _resident(3)))
                await workflows.decide(first, decision("advance", to="act"))
                await workflows.decide(
                    first, decision("record_finding", RESIDENT, text="ja", source="residents")
                )
                await workflows.decide(first, decision("advance", to="evaluate"))
                await skip_time(env, timedelta(days=15))
                await workflows.decide(first, decision("advance", to="learn"))
                await workflows.decide(first, decision("record_lesson", RESIDENT, text="les"))
                await workflows.decide(first, decision("close", outcome="adopted"))
                await handle.result()
                await _save(env.client, first, "second-cycle-rounds-overdue-and-close")


def _resident(n: int) -> Actor:
    return Actor(f"prs_{n:032x}", Role.RESIDENT, f"bewoner {n}")


DELIVERY_VERSION = "delivery-v2"


def record_delivery() -> None:
    """The delivery workflow's history: two failed attempts on the schedule, then delivered."""
    path = HISTORIES / f"{DELIVERY_VERSION}-retried-then-delivered.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/workflows/test_delivery.py::test_two_failures_then_delivered_on_the_schedule",
        ],
        env={**os.environ, "WIJKLAB_RECORD_HISTORY": str(path)},
        check=True,
    )


REMINDER_VERSION = "reminder-v1"


def record_reminder() -> None:
    """The reminder workflow's history: held for the daily digest, a durable timer to seven
    in the morning, then the digest."""
    path = HISTORIES / f"{REMINDER_VERSION}-held-for-the-digest.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/workflows/test_reminders.py::"
            "test_a_daily_digest_gathers_the_reminders_into_one_mail_at_seven",
        ],
        env={**os.environ, "WIJKLAB_RECORD_HISTORY": str(path)},
        check=True,
    )


PROGRAMME_VERSION = "programme-v1"


def record_programme() -> None:
    """A programme's first run (created, its first year's report due, continued as new) and
    its last (closed after twenty years)."""
    path = HISTORIES / f"{PROGRAMME_VERSION}-{{run}}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/workflows/test_programme_workflow.py::"
            "test_twenty_years_of_reports_each_once_then_closed",
        ],
        env={**os.environ, "WIJKLAB_RECORD_HISTORY": str(path)},
        check=True,
    )


def main(which: list[str]) -> None:
    """Record the histories named (`experiment`, `delivery`, `reminder`, `programme`), or
    all of them."""
    which = which or ["experiment", "delivery", "reminder", "programme"]
    HISTORIES.mkdir(exist_ok=True)
    if "programme" in which:
        record_programme()
    if "delivery" in which:
        record_delivery()
    if "reminder" in which:
        record_reminder()
    if "experiment" not in which:
        return
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedPostgres(Path(tmp))
        database = Database(params=embedded.start(), schema="record")
        database.ensure_schema()
        experiments = Experiments(env=database.eventsourcing_env())
        try:
            asyncio.run(record(experiments))
        finally:
            experiments.close()
            embedded.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
