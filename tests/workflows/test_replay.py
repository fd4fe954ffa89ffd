"""Replay stored histories of real runs: a change that would break running workflows fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.delivery import DeliveryWorkflow
from workflows.experiment import ExperimentWorkflow
from workflows.reminder import ReminderWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 2
    assert any(p.stem.startswith("delivery-") for p in HISTORIES), "the delivery's too"
    assert any(p.stem.startswith("reminder-") for p in HISTORIES), "and the reminder's"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    result = await Replayer(
        workflows=[ExperimentWorkflow, DeliveryWorkflow, ReminderWorkflow]
    ).replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
