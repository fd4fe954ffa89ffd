"""Property: any sequence of decisions is either refused with a code, changing nothing, or
leads to a state the rules allow; replaying the stored events rebuilds the same state."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from domain import rules
from domain.decisions import RULES_ROUNDS, Decision, DecisionType
from domain.errors import RuleViolation
from domain.experiment import Experiment, experiment_id_for
from domain.state import ExperimentState
from domain.values import Role, Stage, Status
from services.infra.event_store import Experiments
from tests.builders import ACTORS, start

KNOWN_CODES = {
    "invalid_transition",
    "plan_not_endorsed",
    "plan_without_indicator",
    "no_plan",
    "plan_already_endorsed",
    "no_resident_finding",
    "no_lesson",
    "role_not_allowed",
    "source_not_allowed",
    "experiment_closed",
    "unknown_indicator",
    "already_recorded",
    "already_started",
    "endorsement_by_round",
    "endorsement_not_reached",
    "round_already_open",
    "no_residents_invited",
    "no_open_round",
    "wrong_round",
    "not_a_co_signer",
    "already_co_signed",
    "threshold_not_met",
    "on_behalf_of_required",
    "evidence_required",
}
EVIDENCE = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

INDICATOR = "huishoudens bezocht"

payloads: dict[DecisionType, st.SearchStrategy[dict[str, Any]]] = {
    DecisionType.REVISE_PLAN: st.fixed_dictionaries(
        {
            "description": st.just("plan"),
            "indicators": st.sampled_from([[], [{"name": INDICATOR, "target": 10}]]),
            "budget": st.sampled_from([[], [{"source": "wmo", "amount_eur": 10}]]),
            "co_signers": st.sampled_from([[], ["Woonstad"]]),
        }
    ),
    DecisionType.ENDORSE_PLAN: st.just({}),
    DecisionType.ADVANCE: st.fixed_dictionaries({"to": st.sampled_from([s.value for s in Stage])}),
    DecisionType.RECORD_FINDING: st.fixed_dictionaries(
        {
            "text": st.just("bevinding"),
            "source": st.sampled_from(["residents", "professionals", "data"]),
            "indicator": st.sampled_from([None, INDICATOR, "onbekend"]),
            "on_behalf_of": st.sampled_from([None, "bewonersavond"]),
            "evidence": st.sampled_from([None, [EVIDENCE]]),
        }
    ),
    DecisionType.RECORD_LESSON: st.fixed_dictionaries(
        {"text": st.just("les"), "themes": st.sampled_from([[], ["health"]])}
    ),
    DecisionType.CLOSE: st.fixed_dictionaries(
        {"outcome": st.sampled_from(["adopted", "scaled", "stopped"])}
    ),
    DecisionType.STAGE_DUE: st.just({}),
    DecisionType.STAGE_OVERDUE: st.just({}),
    DecisionType.OPEN_ENDORSEMENT: st.fixed_dictionaries(
        {
            "closes_on": st.just("2030-01-31"),
            "threshold": st.sampled_from([{"count": 1}, {"count": 2}, {"share": 0.5}]),
            "electorate": st.sampled_from([0, 3]),
        }
    ),
    DecisionType.ENDORSE: st.fixed_dictionaries({"round": st.sampled_from([None, 1, 2])}),
    DecisionType.OBJECT: st.just({"comment": "liever niet"}),
    DecisionType.RECORD_MEETING_VOTE: st.fixed_dictionaries(
        {
            "held_on": st.just("2026-11-30"),
            "for": st.sampled_from([3, 30]),
            "against": st.just(4),
            "abstain": st.just(1),
            "attendees": st.just(40),
            "evidence": st.just([EVIDENCE]),
        }
    ),
    DecisionType.CO_SIGN: st.fixed_dictionaries(
        {"organisation": st.sampled_from(["Woonstad", "Politie"])}
    ),
    DecisionType.ENDORSEMENT_REACHED: st.just({"round": 1}),
    DecisionType.ENDORSEMENT_FAILED: st.just({"round": 1}),
    DecisionType.ENDORSEMENT_CLOSING: st.just({"round": 1, "closes_on": "2030-01-31"}),
    DecisionType.ASSIGN_OWNER: st.just({"person_id": "prs_" + "0" * 31 + "7"}),
}


def draw_decision(data: st.DataObject, index: int, state: ExperimentState) -> Decision:
    """A random decision; most of the time one of a kind the rules allow now, so that long
    histories reach every stage and several cycles instead of stalling in the first plan."""
    open_now = {
        (role, DecisionType(kind))
        for role in Role
        for kind in rules.allowed(state, role)
        if kind != "start"
    }
    if open_now and data.draw(st.integers(0, 9)) < 8:
        role, kind = data.draw(st.sampled_from(sorted(open_now)))
    else:
        role = data.draw(st.sampled_from(list(Role)))
        kind = data.draw(st.sampled_from(sorted(payloads, key=lambda k: k.value)))
    return Decision.parse(
        decision_id=f"d{index}",
        type=kind.value,
        actor=ACTORS[role],
        rationale="omdat",
        source="api",
        payload=data.draw(payloads[kind]),
    )


def assert_consistent(state: ExperimentState) -> None:
    """What must hold in every state the rules can reach."""
    if state.stage is not Stage.PLAN:
        assert state.plan.endorsed
        assert state.plan.indicators
    if state.status is Status.CLOSED:
        assert state.outcome is not None
        assert state.stage is Stage.LEARN
        assert state.lessons_this_cycle >= 1
    assert 0 <= state.resident_findings_this_cycle <= state.findings_this_cycle
    if state.stage_due:
        assert state.stage is Stage.ACT
    if state.stage_overdue:
        assert state.stage in (Stage.ACT, Stage.EVALUATE)
    assert state.cycle >= 1
    round_ = state.endorsement
    if round_ is not None:
        assert state.stage is Stage.PLAN or not round_.is_open
        assert round_.revision == state.plan.revision
        assert round_.number <= state.rounds_opened
        if round_.status.value == "reached":
            assert state.plan.endorsed


MAPPER = Experiments(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(min_value=0, max_value=80))
def test_any_history_is_refused_or_allowed_and_replays(data: st.DataObject, length: int) -> None:
    begun = start()
    # Both rule sets: experiments begun before endorsement rounds, and since.
    rules_version = data.draw(st.sampled_from([1, RULES_ROUNDS]))
    begun = replace(begun, payload={**begun.payload, "rules": rules_version})
    experiment = Experiment.start(begun, experiment_id=experiment_id_for("utrecht", None))
    accepted, new_cycles = 0, 0
    for index in range(length):
        before = experiment.state
        attempt = draw_decision(data, index, before)
        try:
            experiment.decide(attempt)
        except RuleViolation as refused:
            assert refused.code in KNOWN_CODES
            assert refused.allowed == rules.allowed(before, attempt.actor.role)
            assert experiment.state == before
            continue
        if attempt.type not in rules.NOT_LISTED:
            assert attempt.type.value in rules.allowed(before, attempt.actor.role)
        accepted += 1
        new_cycles += attempt.type is DecisionType.ADVANCE and attempt.payload["to"] == "plan"
        assert_consistent(experiment.state)

    note_event(f"reached cycle {min(experiment.state.cycle, 3)}, stage {experiment.state.stage}")
    assert experiment.state.version == 1 + accepted
    assert experiment.state.cycle == 1 + new_cycles

    # Through the stored form (JSON, topics) and back: the same state, version by version.
    replayed: Experiment | None = None
    for event in experiment.collect_events():
        stored = MAPPER.to_stored_event(event)
        replayed = MAPPER.to_domain_event(stored).mutate(replayed)  # type: ignore[attr-defined]
    assert replayed is not None
    assert replayed.state == experiment.state
    assert replayed.decision_versions == experiment.decision_versions
