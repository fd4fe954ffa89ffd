"""Property: any sequence of decisions is either refused with a code, changing nothing, or
leads to a state the rules allow; replaying the stored events rebuilds the same state."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from domain import rules
from domain.decisions import Decision, DecisionType
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
}

INDICATOR = "huishoudens bezocht"

payloads: dict[DecisionType, st.SearchStrategy[dict[str, Any]]] = {
    DecisionType.REVISE_PLAN: st.fixed_dictionaries(
        {
            "description": st.just("plan"),
            "indicators": st.sampled_from([[], [{"name": INDICATOR, "target": 10}]]),
            "budget": st.sampled_from([[], [{"source": "wmo", "amount_eur": 10}]]),
        }
    ),
    DecisionType.ENDORSE_PLAN: st.just({}),
    DecisionType.ADVANCE: st.fixed_dictionaries({"to": st.sampled_from([s.value for s in Stage])}),
    DecisionType.RECORD_FINDING: st.fixed_dictionaries(
        {
            "text": st.just("bevinding"),
            "source": st.sampled_from(["residents", "professionals", "data"]),
            "indicator": st.sampled_from([None, INDICATOR, "onbekend"]),
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


MAPPER = Experiments(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(min_value=0, max_value=80))
def test_any_history_is_refused_or_allowed_and_replays(data: st.DataObject, length: int) -> None:
    experiment = Experiment.start(start(), experiment_id=experiment_id_for("utrecht", None))
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
