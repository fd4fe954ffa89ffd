"""Every round of an experiment told from its history, as the experiment's own fold tells
its current round."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.decisions import RULES_ROUNDS, Decision
from domain.experiment import Experiment, experiment_id_for
from domain.round_history import rounds_in
from domain.values import Actor, Role
from tests.builders import PLAN, SYSTEM, decision, start

BEGIN = datetime(2026, 12, 1, 9, tzinfo=UTC)


def resident(n: int) -> Actor:
    return Actor(f"prs_{n:032x}", Role.RESIDENT, f"bewoner {n}")


def run(*decisions: Decision) -> tuple[Experiment, list[dict[str, object]]]:
    begun = start()
    begun = replace(begun, payload={**begun.payload, "rules": RULES_ROUNDS})
    experiment = Experiment.start(begun, experiment_id=experiment_id_for("utrecht", None), at=BEGIN)
    history: list[dict[str, object]] = []
    for n, d in enumerate(decisions, start=1):
        at = BEGIN + timedelta(hours=n)
        stage, cycle = experiment.state.stage.value, experiment.state.cycle
        experiment.decide(d, at=at)
        history.append(
            {
                "type": d.type.value,
                "payload": d.payload,
                "cycle": cycle,
                "stage": stage,
                "at": at.isoformat(),
                "actor": d.actor.to_dict(),
                "decision_id": d.decision_id,
            }
        )
    return experiment, history


def test_a_revised_plan_supersedes_its_round_and_the_story_keeps_both() -> None:
    experiment, history = run(
        decision("revise_plan", **PLAN),
        decision("open_endorsement", closes_on="2026-12-20", threshold={"count": 2}),
        decision("endorse", resident(1), comment="ja"),
        decision("object", resident(2)),
        decision("revise_plan", **PLAN),
        decision("endorse", resident(1)),
        decision("object", resident(2)),
        decision("endorse", resident(2), comment="nu wel"),
        decision("endorsement_reached", SYSTEM, round=2, endorsements=2, needed=2),
    )
    first, second = rounds_in(history)
    assert (first.round.status.value, second.round.status.value) == ("superseded", "reached")
    assert (first.round.revision, second.round.revision) == (1, 2)
    assert second.round == experiment.state.endorsement, "the same round as the state's"
    told = second.to_dict()
    assert [(b["vote"], b["standing"]) for b in told["ballots"]] == [
        ("endorse", True),
        ("object", False),
        ("endorse", True),
    ]
    assert [b["comment"] for b in told["ballots"]] == [None, None, "nu wel"]
    assert len(first.ballots) == 2
