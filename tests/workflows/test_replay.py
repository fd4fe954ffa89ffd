"""Replay stored histories of real runs: a change that would break running workflows fails here."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.delivery import DeliveryWorkflow
from workflows.experiment import ExperimentWorkflow
from workflows.programme import ProgrammeWorkflow
from workflows.reminder import ReminderWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 2
    assert any(p.stem.startswith("delivery-") for p in HISTORIES), "the delivery's too"
    assert any(p.stem.startswith("reminder-") for p in HISTORIES), "and the reminder's"
    assert any(p.stem.startswith("programme-") for p in HISTORIES), "and the programme's"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    result = await Replayer(
        workflows=[ExperimentWorkflow, DeliveryWorkflow, ReminderWorkflow, ProgrammeWorkflow]
    ).replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def _decoded(path: Path) -> str:
    """Every payload of a stored history, decoded: what the workflow said and was told."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, str):
                    found.append(base64.b64decode(value).decode("utf-8", "replace"))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(path.read_text()))
    return "\n".join(found)


def test_histories_of_both_rule_sets_are_replayed() -> None:
    """Experiments begun before endorsement rounds (one `endorse_plan`) and since (rounds that
    reach, fail at their deadline, and reopen on a revision) both have stored runs."""
    before = _decoded(next(p for p in HISTORIES if p.stem.startswith("v3-cycle")))
    assert "endorse_plan" in before
    assert "endorsement-rounds" not in before
    since = "\n".join(_decoded(p) for p in HISTORIES if p.stem.startswith("v4-"))
    for sign in (
        "endorsement-rounds",
        "open_endorsement",
        "endorsement_reached",
        "endorsement_failed",
    ):
        assert sign in since, sign
