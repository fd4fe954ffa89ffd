"""Endorsement rounds in the experiment's workflow, under time skipping: the threshold closes
a round at once, the deadline (a durable timer) closes it otherwise, and a revision reopens it.
Experiments begun before rounds keep their one `endorse_plan`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.errors import RuleViolation
from domain.values import Actor, Role
from tests.builders import PLAN, PM, RESIDENT, decision, one_cycle, round_closing_on, start
from tests.stored import stored_history
from tests.workflows.conftest import Harness, skip_time
from tests.workflows.test_experiment_workflow import _eventually, _types


def resident(n: int) -> Actor:
    return Actor(f"prs_{n:032x}", Role.RESIDENT, f"bewoner {n}")


async def _in_round(h: Harness, *, count: int, days: int = 14) -> UUID:
    experiment_id = uuid.uuid4()
    await h.workflows.start(experiment_id, start())
    await h.workflows.decide(experiment_id, decision("revise_plan", **PLAN))
    await h.workflows.decide(
        experiment_id,
        decision("open_endorsement", closes_on=round_closing_on(days), threshold={"count": count}),
    )
    return experiment_id


async def test_a_new_experiment_runs_under_rounds(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = uuid.uuid4()
        answer = await harness.workflows.start(experiment_id, start())
        assert answer.experiment["rules"] == 2
        await harness.workflows.decide(experiment_id, decision("revise_plan", **PLAN))
        with pytest.raises(RuleViolation) as refused:
            await harness.workflows.decide(experiment_id, decision("endorse_plan", RESIDENT))
    assert refused.value.code == "endorsement_by_round"
    assert refused.value.allowed == [], "a resident waits for a round to vote in"


async def test_the_threshold_closes_the_round_at_once(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _in_round(harness, count=3)
        for n in (1, 2):
            answer = await harness.workflows.decide(experiment_id, decision("endorse", resident(n)))
            assert answer.experiment["endorsement"]["status"] == "open"
        with pytest.raises(RuleViolation) as early:
            await harness.workflows.decide(experiment_id, decision("advance", to="act"))
        assert early.value.code == "endorsement_not_reached"
        # A changed mind replaces the earlier vote: still two endorsements.
        await harness.workflows.decide(experiment_id, decision("object", resident(2)))
        await harness.workflows.decide(experiment_id, decision("endorse", resident(3)))
        decisive = await harness.workflows.decide(experiment_id, decision("endorse", resident(2)))
        # The vote that meets the threshold is answered with the round closed.
        assert decisive.experiment["endorsement"]["status"] == "reached"
        assert decisive.experiment["plan"]["endorsed"]
        moved = await harness.workflows.decide(experiment_id, decision("advance", to="act"))
    assert moved.experiment["stage"] == "act"
    closing = next(
        h
        for h in stored_history(harness.experiments, experiment_id)
        if h.type == "endorsement_reached"
    )
    assert closing.payload == {"round": 1, "endorsements": 3, "objections": 0, "needed": 3}
    assert (closing.source, closing.actor["role"]) == ("timer", "system")


async def test_a_round_short_of_its_threshold_fails_at_its_deadline(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _in_round(harness, count=2, days=10)
        await harness.workflows.decide(experiment_id, decision("endorse", resident(1)))
        await skip_time(harness.env, timedelta(days=7))
        assert "endorsement_closing" not in _types(harness, experiment_id)
        # Two days before it closes, the workflow says so: residents are reminded.
        await skip_time(harness.env, timedelta(days=2))
        await _eventually(lambda: "endorsement_closing" in _types(harness, experiment_id))
        assert "endorsement_failed" not in _types(harness, experiment_id)
        await skip_time(harness.env, timedelta(days=3))
        await _eventually(lambda: "endorsement_failed" in _types(harness, experiment_id))
        with pytest.raises(RuleViolation) as late:
            await harness.workflows.decide(experiment_id, decision("endorse", resident(2)))
    assert late.value.code == "no_open_round"
    failed = next(
        h
        for h in stored_history(harness.experiments, experiment_id)
        if h.type == "endorsement_failed"
    )
    closes_at = datetime.fromisoformat(
        harness.experiments.experiment(experiment_id).to_dict()["endorsement"]["closes_at"]
    )
    assert closes_at <= failed.at < closes_at + timedelta(days=1)
    assert failed.payload["endorsements"] == 1
    notice = next(
        h
        for h in stored_history(harness.experiments, experiment_id)
        if h.type == "endorsement_closing"
    )
    assert closes_at - timedelta(days=2) <= notice.at < closes_at - timedelta(days=1)
    assert notice.payload["closes_on"] == (closes_at - timedelta(days=1)).date().isoformat()
    assert harness.experiments.experiment(experiment_id).endorsement.status.value == "failed"


async def test_a_revision_reopens_the_round_on_the_new_plan(harness: Harness) -> None:
    async with harness.worker():
        experiment_id = await _in_round(harness, count=2, days=10)
        await harness.workflows.decide(experiment_id, decision("endorse", resident(1)))
        await skip_time(harness.env, timedelta(days=5))
        revised = await harness.workflows.decide(experiment_id, decision("revise_plan", **PLAN))
        second = revised.experiment["endorsement"]
        assert (second["number"], second["revision"], second["endorsements"]) == (2, 2, 0)
        # The first round's deadline passes: nothing closes, the second round is still open.
        await skip_time(harness.env, timedelta(days=6))
        assert "endorsement_failed" not in _types(harness, experiment_id)
        with pytest.raises(RuleViolation) as stale:
            await harness.workflows.decide(experiment_id, decision("endorse", resident(1), round=1))
        assert stale.value.code == "wrong_round"
        await harness.workflows.decide(experiment_id, decision("endorse", resident(1), round=2))
        reached = await harness.workflows.decide(experiment_id, decision("endorse", resident(2)))
    assert reached.experiment["endorsement"]["status"] == "reached"
    assert _types(harness, experiment_id).count("endorsement_reached") == 1


async def test_an_experiment_begun_before_rounds_keeps_its_endorse_plan(harness: Harness) -> None:
    """Started in the record without rounds (as every experiment was), then given back to a
    workflow: one `endorse_plan` still endorses its plan, under this workflow code."""
    experiment_id = uuid.uuid4()
    harness.experiments.start(start(), experiment_id=experiment_id, at=datetime.now(UTC))
    harness.experiments.decide(experiment_id, one_cycle()[0])
    found = harness.experiments.find(experiment_id)
    assert found is not None
    async with harness.worker():
        await harness.workflows.restart_from_record(found)
        await harness.workflows.decide(experiment_id, decision("endorse_plan", RESIDENT))
        moved = await harness.workflows.decide(experiment_id, decision("advance", PM, to="act"))
    assert (moved.experiment["rules"], moved.experiment["stage"]) == (1, "act")
