"""What an experiment waits for, and from whom, at every moment of its cycle: table-driven,
over both rule sets; each awaited decision is one the rules would take from that role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain import rules
from domain.actions import awaited
from domain.decisions import RULES_ROUNDS, Decision
from domain.experiment import Experiment, experiment_id_for
from domain.state import ExperimentState
from domain.values import Actor, Role
from tests.builders import PARTNER, PLAN, PM, RESIDENT, SYSTEM, decision, start

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ROUND = {"closes_on": "2026-12-20", "threshold": {"count": 1}}


def voter(n: int) -> Actor:
    return Actor(f"prs_{n:032x}", Role.RESIDENT, f"bewoner {n}")


def run(*decisions: Decision, rules_version: int = RULES_ROUNDS) -> ExperimentState:
    begun = start()
    begun = replace(begun, payload={**begun.payload, "rules": rules_version})
    experiment = Experiment.start(begun, experiment_id=experiment_id_for("utrecht", None), at=NOW)
    for d in decisions:
        experiment.decide(d, at=NOW)
    return experiment.state


def in_act(*then: Decision) -> ExperimentState:
    return run(
        decision("revise_plan", **PLAN),
        decision("open_endorsement", **ROUND),
        decision("endorse", voter(1)),
        decision("endorsement_reached", SYSTEM, round=1),
        decision("advance", to="act"),
        *then,
    )


FOUND = "record_finding"
CASES: list[tuple[str, Callable[[], ExperimentState], list[tuple[str, str]]]] = [
    ("a new experiment waits for its plan", lambda: run(), [("revise_plan", "programme_manager")]),
    (
        "a plan waits to be put to residents",
        lambda: run(decision("revise_plan", **PLAN)),
        [("open_endorsement", "programme_manager")],
    ),
    (
        "before rounds, a plan waits for one endorsement",
        lambda: run(decision("revise_plan", **PLAN), rules_version=1),
        [("endorse_plan", "resident")],
    ),
    (
        "an open round waits for residents and a co-signer",
        lambda: run(
            decision("revise_plan", **PLAN, co_signers=["Woonstad"]),
            decision("open_endorsement", **ROUND),
        ),
        [("endorse", "resident"), ("co_sign", "partner")],
    ),
    (
        "a reached round waits for the move to act",
        lambda: run(
            decision("revise_plan", **PLAN),
            decision("open_endorsement", **ROUND),
            decision("endorse", voter(1)),
            decision("endorsement_reached", SYSTEM, round=1),
        ),
        [("advance", "programme_manager")],
    ),
    ("the act period runs its course", lambda: in_act(), []),
    (
        "an act period over waits for evaluation",
        lambda: in_act(decision("stage_due", SYSTEM)),
        [("advance", "programme_manager")],
    ),
    (
        "an evaluation waits for residents' finding",
        lambda: in_act(decision("advance", to="evaluate")),
        [(FOUND, "resident")],
    ),
    (
        "an evaluation with it waits for the move to learn",
        lambda: in_act(
            decision("record_finding", RESIDENT, text="fijn", source="residents"),
            decision("advance", to="evaluate"),
        ),
        [("advance", "programme_manager")],
    ),
    (
        "learning waits for a lesson",
        lambda: in_act(
            decision("record_finding", RESIDENT, text="fijn", source="residents"),
            decision("advance", to="evaluate"),
            decision("advance", to="learn"),
        ),
        [("record_lesson", "resident"), ("record_lesson", "programme_manager")],
    ),
    (
        "a closed experiment waits for nothing",
        lambda: in_act(
            decision("record_finding", RESIDENT, text="fijn", source="residents"),
            decision("advance", to="evaluate"),
            decision("advance", to="learn"),
            decision("record_lesson", RESIDENT, text="samen", themes=[]),
            decision("close", PM, outcome="adopted"),
        ),
        [],
    ),
]


@pytest.mark.parametrize(("build", "expected"), [pytest.param(b, e, id=n) for n, b, e in CASES])
def test_what_waits_on_whom(
    build: Callable[[], ExperimentState], expected: list[tuple[str, str]]
) -> None:
    state = build()
    found = awaited(state)
    assert [(a.decision.value, a.role.value) for a in found] == expected
    for a in found:
        assert a.decision.value in rules.allowed(state, a.role), "the rules would take it"
        assert a.since == state.updated_at


def test_an_overdue_stage_says_so() -> None:
    state = in_act(decision("stage_due", SYSTEM), decision("stage_overdue", SYSTEM))
    [late] = awaited(state)
    assert late.overdue
    assert late.to_dict()["from"] == "programme_manager"


def test_a_partner_is_awaited_only_while_their_organisation_has_not_signed() -> None:
    state = run(
        decision("revise_plan", **PLAN, co_signers=["Woonstad"]),
        decision("open_endorsement", closes_on="2026-12-20", threshold={"count": 2}),
        decision("co_sign", PARTNER, organisation="Woonstad"),
    )
    assert [(a.decision.value, a.role.value) for a in awaited(state)] == [("endorse", "resident")]


def test_naming_a_manager_or_sharing_a_lesson_does_not_restart_the_wait() -> None:
    """What an experiment waits for has waited since its last step; bookkeeping on it (a
    responsible manager named, a lesson shared) is no step."""
    later = datetime(2026, 12, 3, 9, tzinfo=UTC)
    begun = start()
    begun = replace(begun, payload={**begun.payload, "rules": RULES_ROUNDS})
    experiment = Experiment.start(begun, experiment_id=experiment_id_for("utrecht", None), at=NOW)
    experiment.decide(decision("revise_plan", **PLAN), at=NOW)
    experiment.decide(decision("assign_owner", person_id="prs_" + "1" * 32), at=later)
    experiment.decide(
        decision("publish_lesson", lesson="les-1", evidence_level="described"), at=later
    )
    [waiting] = awaited(experiment.state)
    assert experiment.state.updated_at == later
    assert waiting.since == NOW
    experiment.decide(decision("open_endorsement", **ROUND), at=later)
    assert {a.since for a in awaited(experiment.state)} == {later}
