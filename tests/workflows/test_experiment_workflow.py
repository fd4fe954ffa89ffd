"""ExperimentWorkflow on a real Temporal server with time skipping, over the real event store."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus

from domain.errors import InvalidInput, RuleViolation
from tests.builders import PM, RESIDENT, decision, endorsement, one_cycle, start
from tests.stored import stored_history
from tests.workflows.conftest import Harness, skip_time
from workflows.activities import ExperimentActivities
from workflows.experiment import ExperimentWorkflow
from workflows.payloads import DecisionAnswer, RecordInput, workflow_id
from workflows.reconcile import reconcile


async def _start(h: Harness) -> UUID:
    experiment_id = uuid.uuid4()
    await h.workflows.start(experiment_id, start())
    return experiment_id


def _types(h: Harness, experiment_id: UUID) -> list[str]:
    return [entry.type for entry in stored_history(h.experiments, experiment_id)]


async def test_a_whole_cycle_and_the_next(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        answers = [await harness.workflows.decide(experiment_id, d) for d in one_cycle(rounds=True)]
    assert answers[-1].experiment["cycle"] == 2
    assert answers[-1].experiment["stage"] == "plan"
    assert [a.position for a in answers] == sorted(a.position for a in answers)
    expected = [d.type.value for d in one_cycle(rounds=True)]
    expected.insert(expected.index("endorse") + 1, "endorsement_reached")
    assert _types(harness, experiment_id) == ["start", *expected]
    stored = harness.experiments.experiment(experiment_id)
    assert stored.to_dict() == answers[-1].experiment


async def test_starting_twice_with_one_key_starts_once(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = uuid.uuid4()
        first = await harness.workflows.start(experiment_id, start(decision_id="key-7"))
        again = await harness.workflows.start(experiment_id, start(decision_id="key-7"))
    assert (again.decision_id, again.position) == (first.decision_id, first.position)
    assert _types(harness, experiment_id) == ["start"]


async def test_a_refused_update_leaves_no_event(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        before = harness.experiments.max_position()
        with pytest.raises(RuleViolation) as refused:
            await harness.workflows.decide(experiment_id, decision("advance", to="act"))
        assert refused.value.code == "no_plan"
        assert refused.value.allowed == ["revise_plan"]
        with pytest.raises(RuleViolation) as by_role:
            await harness.workflows.decide(
                experiment_id, decision("revise_plan", RESIDENT, description="x")
            )
        assert by_role.value.code == "role_not_allowed"
        # A caller that skips the API's checks still meets the workflow's own.
        bad = replace(decision("revise_plan", description="x"), payload={"description": ""})
        with pytest.raises(InvalidInput):
            await harness.workflows.decide(experiment_id, bad)
    assert harness.experiments.max_position() == before
    history = await harness.env.client.get_workflow_handle(
        workflow_id(str(experiment_id))
    ).fetch_history()
    accepted = [
        e
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert len(accepted) == 1  # only the start; refusals leave no trace


async def test_the_same_update_id_twice_is_one_event(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        plan = one_cycle(rounds=True)[0]
        first = await harness.workflows.decide(experiment_id, plan)
        again = await harness.workflows.decide(experiment_id, plan)
    assert (again.decision_id, again.position, again.experiment) == (
        first.decision_id,
        first.position,
        first.experiment,
    )
    assert _types(harness, experiment_id) == ["start", "revise_plan"]


class FailsAfterAppend(ExperimentActivities):
    """Commits the decision, then dies before answering, as a worker killed mid-activity."""

    @activity.defn(name="record_decision")
    def record_decision(self, request: RecordInput) -> DecisionAnswer:
        answer = super().record_decision(request)
        if request.decision["type"] == "revise_plan" and activity.info().attempt == 1:
            raise RuntimeError("worker lost after the commit")
        return answer


async def test_an_activity_that_fails_after_its_append_records_once(harness: Harness) -> None:
    async with harness.worker(FailsAfterAppend(harness.experiments)):
        experiment_id = await _start(harness)
        answer = await harness.workflows.decide(experiment_id, one_cycle(rounds=True)[0])
    assert answer.experiment["plan"]["revision"] == 1
    assert _types(harness, experiment_id) == ["start", "revise_plan"]


async def _to_act(h: Harness, experiment_id: UUID) -> None:
    for d in one_cycle(rounds=True)[:4]:
        await h.workflows.decide(experiment_id, d)


async def test_ninety_days_of_act_then_due_then_overdue(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        await _to_act(harness, experiment_id)
        began = time.monotonic()
        await skip_time(harness.env, timedelta(days=89))
        assert "stage_due" not in _types(harness, experiment_id)
        await skip_time(harness.env, timedelta(days=2))
        await _eventually(lambda: "stage_due" in _types(harness, experiment_id))
        await skip_time(harness.env, timedelta(days=15))
        await _eventually(lambda: "stage_overdue" in _types(harness, experiment_id))
        elapsed = time.monotonic() - began
    history = stored_history(harness.experiments, experiment_id)
    due = next(h for h in history if h.type == "stage_due")
    assert (due.source, due.actor["role"], due.stage) == ("timer", "system", "act")
    entered_act = next(h for h in history if h.type == "advance").at
    assert timedelta(days=90) <= due.at - entered_act < timedelta(days=91)
    state = harness.experiments.experiment(experiment_id)
    assert (state.stage_due, state.stage_overdue) == (True, True)
    print(f"106 days of act under time skipping took {elapsed:.1f} s")


async def test_a_stage_change_cancels_the_timers(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        await _to_act(harness, experiment_id)
        await skip_time(harness.env, timedelta(days=30))
        await harness.workflows.decide(
            experiment_id, decision("record_finding", RESIDENT, text="ok", source="residents")
        )
        await harness.workflows.decide(experiment_id, decision("advance", to="evaluate"))
        await harness.workflows.decide(experiment_id, decision("advance", to="learn"))
        await skip_time(harness.env, timedelta(days=200))
    assert "stage_due" not in _types(harness, experiment_id)
    assert "stage_overdue" not in _types(harness, experiment_id)


async def test_evaluation_left_open_becomes_overdue(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        await _to_act(harness, experiment_id)
        await harness.workflows.decide(experiment_id, decision("advance", to="evaluate"))
        await skip_time(harness.env, timedelta(days=15))
        await _eventually(lambda: "stage_overdue" in _types(harness, experiment_id))
    overdue = [
        h for h in stored_history(harness.experiments, experiment_id) if h.type == "stage_overdue"
    ]
    assert len(overdue) == 1
    assert overdue[0].stage == "evaluate"


async def test_continue_as_new_keeps_state_and_deduplication(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        handle = harness.env.client.get_workflow_handle(workflow_id(str(experiment_id)))
        first_run = (await handle.describe()).run_id
        cycle = one_cycle(rounds=True)
        for d in cycle:
            await harness.workflows.decide(experiment_id, d)
        await _eventually_async(lambda: _run_id_changed(handle, first_run))
        # A decision id from the first run is still known in the second.
        repeat = await harness.workflows.decide(experiment_id, cycle[0])
        assert repeat.experiment["version"] == 2
        carried = await handle.query(ExperimentWorkflow.experiment)
        assert carried is not None
        assert (carried["cycle"], carried["stage"]) == (2, "plan")
        for d in endorsement(rounds=True):
            await harness.workflows.decide(experiment_id, d)
    assert _types(harness, experiment_id).count("revise_plan") == 1
    assert harness.experiments.experiment(experiment_id).plan.endorsed


async def test_closing_completes_the_workflow(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _start(harness)
        for d in one_cycle(rounds=True)[:-1]:
            await harness.workflows.decide(experiment_id, d)
        await harness.workflows.decide(experiment_id, decision("close", PM, outcome="adopted"))
        handle = harness.env.client.get_workflow_handle(workflow_id(str(experiment_id)))
        result = await handle.result()
    assert result["status"] == "closed"
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED


async def _run_id_changed(handle, first_run: str) -> bool:  # type: ignore[no-untyped-def]
    return (await handle.describe()).run_id != first_run


async def _eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _eventually_async(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_reconcile_restarts_lost_workflows_from_the_record(harness: Harness) -> None:
    async with harness.worker():
        kept = await _start(harness)
        lost = await _start(harness)
        await _to_act(harness, lost)
        closed = await _start(harness)
        for d in one_cycle(rounds=True)[:-1]:
            await harness.workflows.decide(closed, d)
        await harness.workflows.decide(closed, decision("close", outcome="stopped"))

        await harness.env.client.get_workflow_handle(workflow_id(str(lost))).terminate("lost")
        report = await reconcile(harness.workflows, harness.experiments)
        assert (report.active, report.running, report.restarted, report.closed) == (2, 1, 1, 1)

        # The restarted workflow knows its state, its past decision ids and its timers.
        answer = await harness.workflows.decide(lost, decision("advance", to="evaluate"))
        assert answer.experiment["stage"] == "evaluate"
        await skip_time(harness.env, timedelta(days=15))
        await _eventually(lambda: "stage_overdue" in _types(harness, lost))

        again = await reconcile(harness.workflows, harness.experiments)
        assert (again.running, again.restarted) == (2, 0)
        # The workflow that was never lost kept its own run: reconcile left it alone.
        kept_handle = harness.env.client.get_workflow_handle(workflow_id(str(kept)))
        assert (await kept_handle.describe()).status is WorkflowExecutionStatus.RUNNING
        assert "advance" not in _types(harness, kept)
