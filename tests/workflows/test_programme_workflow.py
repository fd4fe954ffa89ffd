"""A programme's workflow on a time-skipping Temporal server: twenty years of yearly
`report_due`, each once, at the end of each year in the Netherlands; decisions validated
before anything is written; the workflow ends when the programme closes."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus

from domain.errors import InvalidInput, RuleViolation
from domain.programme import ProgrammeDecision
from domain.values import Actor, Role
from services.infra.programme_store import Programmes
from tests.workflows.conftest import Harness, skip_time
from workflows.programme_client import ProgrammeWorkflows
from workflows.programme_payloads import programme_workflow_id
from workflows.reconcile import reconcile_programmes

PM = Actor("pm-1", Role.PROGRAMME_MANAGER, "Petra Manager")
# Set by `make histories` to keep the programme's first and last runs for the replay tests.
RECORDING = os.environ.get("WIJKLAB_RECORD_HISTORY")


def decision(
    kind: str, rationale: str | None = "besproken", **payload: object
) -> ProgrammeDecision:
    return ProgrammeDecision.parse(
        decision_id=uuid.uuid4().hex, type=kind, actor=PM, rationale=rationale, payload=payload
    )


def create(first: int = 2026, last: int = 2045) -> ProgrammeDecision:
    return decision(
        "create_programme",
        rationale=None,
        municipality="utrecht",
        name="Wijkaanpak Overvecht",
        description="Twintig jaar samen met bewoners",
        neighbourhoods=["WK034403"],
        period={"from_year": first, "to_year": last},
        funding=[{"source": "sociaal domein", "year": first, "amount_eur": "250000"}],
    )


async def test_twenty_years_of_reports_each_once_then_closed(harness: Harness) -> None:
    programmes = ProgrammeWorkflows(harness.env.client, task_queue=harness.task_queue)
    store = Programmes(harness.experiments)
    programme_id = uuid.uuid4()
    async with harness.worker():
        first = create()
        created = await programmes.create(programme_id, first)
        first_run = (
            await harness.env.client.get_workflow_handle(
                programme_workflow_id(str(programme_id))
            ).describe()
        ).run_id
        assert created.programme["reports_due"] == []
        again = await programmes.create(programme_id, first)
        assert (again.decision_id, again.position) == (created.decision_id, created.position)
        with pytest.raises(RuleViolation) as twice:
            await programmes.create(programme_id, create())
        assert twice.value.code == "already_started"
        with pytest.raises(RuleViolation) as refused:
            await programmes.decide(
                programme_id,
                decision("allocate_funding", source="energie", year=2051, amount_eur="10"),
            )
        assert refused.value.code == "year_outside_period"
        with pytest.raises(InvalidInput):
            decision("allocate_funding", source="energie", year=2030, amount_eur="-5")
        await skip_time(harness.env, timedelta(days=366 * 20 + 40))
        found = store.find(programme_id)
        assert found is not None
        assert found.state.reports_due == tuple(range(2026, 2046)), "each year once, in order"
        handle = harness.env.client.get_workflow_handle(programme_workflow_id(str(programme_id)))
        assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
        closed = await programmes.decide(programme_id, decision("close_programme"))
        assert closed.programme["status"] == "closed"
        result = await handle.result()
        assert result["status"] == "closed"
        if RECORDING:
            for run_id, name in ((first_run, "first-year"), (None, "closed")):
                runs = harness.env.client.get_workflow_handle(
                    programme_workflow_id(str(programme_id)), run_id=run_id
                )
                Path(RECORDING.replace("{run}", name)).write_text(
                    (await runs.fetch_history()).to_json()
                )
    # Created, twenty reports, closed; the refused allocation left nothing.
    assert found.version + 1 == 22


async def test_reconcile_puts_a_lost_programme_back_under_its_workflow(harness: Harness) -> None:
    programmes = ProgrammeWorkflows(harness.env.client, task_queue=harness.task_queue)
    store = Programmes(harness.experiments)
    kept, lost, ended = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with harness.worker():
        for programme_id in (kept, lost, ended):
            await programmes.create(programme_id, create())
        await programmes.decide(ended, decision("close_programme"))
        await harness.env.client.get_workflow_handle(programme_workflow_id(str(lost))).terminate(
            "lost"
        )

        report = await reconcile_programmes(programmes, store)
        assert (report.active, report.running, report.restarted, report.closed) == (2, 1, 1, 1)
        # The restarted workflow knows its programme and keeps its yearly timer.
        answer = await programmes.decide(
            lost, decision("allocate_funding", source="wonen", year=2027, amount_eur="100")
        )
        assert answer.programme["status"] == "active"
        await skip_time(harness.env, timedelta(days=400))
        found = store.find(lost)
        assert found is not None
        assert found.state.reports_due[:1] == (2026,)
        again = await reconcile_programmes(programmes, store)
        assert (again.running, again.restarted) == (2, 0)
