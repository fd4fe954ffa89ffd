"""The learning-cycle rules, table-driven over every stage x decision x role."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import rules
from domain.decisions import Decision, DecisionType
from domain.errors import RuleViolation
from domain.experiment import Experiment, experiment_id_for
from domain.state import ExperimentState
from domain.values import Role
from tests.builders import ACTORS, PARTNER, PLAN, PM, RESIDENT, SYSTEM, decision, start

ALLOWED = None  # in the tables below: the decision is open


def _run(*decisions: Decision) -> ExperimentState:
    experiment = Experiment.start(start(), experiment_id=experiment_id_for("utrecht", None))
    for d in decisions:
        experiment.decide(d)
    return experiment.state


def plan_ready() -> ExperimentState:
    return _run(decision("revise_plan", **PLAN), decision("endorse_plan", RESIDENT))


def act() -> ExperimentState:
    return _run(
        decision("revise_plan", **PLAN),
        decision("endorse_plan", RESIDENT),
        decision("advance", to="act"),
    )


def evaluate_ready() -> ExperimentState:
    return _run(
        decision("revise_plan", **PLAN),
        decision("endorse_plan", RESIDENT),
        decision("advance", to="act"),
        decision("record_finding", RESIDENT, text="fijn", source="residents"),
        decision("advance", to="evaluate"),
    )


def learn_ready() -> ExperimentState:
    return _run(
        decision("revise_plan", **PLAN),
        decision("endorse_plan", RESIDENT),
        decision("advance", to="act"),
        decision("record_finding", RESIDENT, text="fijn", source="residents"),
        decision("advance", to="evaluate"),
        decision("advance", to="learn"),
        decision("record_lesson", RESIDENT, text="samen werkt", themes=["health"]),
    )


def closed() -> ExperimentState:
    return _run(
        decision("revise_plan", **PLAN),
        decision("endorse_plan", RESIDENT),
        decision("advance", to="act"),
        decision("record_finding", RESIDENT, text="fijn", source="residents"),
        decision("advance", to="evaluate"),
        decision("advance", to="learn"),
        decision("record_lesson", RESIDENT, text="samen werkt", themes=["health"]),
        decision("close", outcome="adopted"),
    )


NEXT = {"plan": "act", "act": "evaluate", "evaluate": "learn", "learn": "plan"}
EVIDENCE = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
OWNER = "prs_" + "0" * 31 + "7"
MEETING = {
    "held_on": "2026-11-30",
    "for": 30,
    "against": 4,
    "abstain": 1,
    "attendees": 40,
    "evidence": [EVIDENCE],
}
DEFAULT_ACTOR = {
    DecisionType.STAGE_DUE: SYSTEM,
    DecisionType.STAGE_OVERDUE: SYSTEM,
    DecisionType.ENDORSEMENT_REACHED: SYSTEM,
    DecisionType.ENDORSEMENT_FAILED: SYSTEM,
    DecisionType.ENDORSEMENT_CLOSING: SYSTEM,
    DecisionType.ENDORSE: RESIDENT,
    DecisionType.OBJECT: RESIDENT,
    DecisionType.CO_SIGN: PARTNER,
}
ROUND_TYPES = (
    DecisionType.OPEN_ENDORSEMENT,
    DecisionType.ENDORSE,
    DecisionType.OBJECT,
    DecisionType.RECORD_MEETING_VOTE,
    DecisionType.CO_SIGN,
    DecisionType.ENDORSEMENT_REACHED,
    DecisionType.ENDORSEMENT_FAILED,
    DecisionType.ENDORSEMENT_CLOSING,
)


def probe(kind: DecisionType, state: ExperimentState, role: Role | None = None) -> Decision:
    """A valid decision of `kind`, taken by a role that may take it unless `role` says otherwise."""
    actor = ACTORS[role] if role else DEFAULT_ACTOR.get(kind, PM)
    fields: dict[str, object] = {
        DecisionType.START: {},
        DecisionType.REVISE_PLAN: PLAN,
        DecisionType.ENDORSE_PLAN: {},
        DecisionType.ADVANCE: {"to": NEXT[state.stage.value]},
        DecisionType.RECORD_FINDING: {"text": "gezien", "source": "professionals"},
        DecisionType.RECORD_LESSON: {"text": "geleerd", "themes": []},
        DecisionType.CLOSE: {"outcome": "scaled"},
        DecisionType.STAGE_DUE: {},
        DecisionType.STAGE_OVERDUE: {},
        DecisionType.OPEN_ENDORSEMENT: {"closes_on": "2030-01-31", "threshold": {"count": 1}},
        DecisionType.ENDORSE: {},
        DecisionType.OBJECT: {},
        DecisionType.RECORD_MEETING_VOTE: MEETING,
        DecisionType.CO_SIGN: {"organisation": "Woonstad"},
        DecisionType.ENDORSEMENT_REACHED: {"round": 1},
        DecisionType.ENDORSEMENT_FAILED: {"round": 1},
        DecisionType.ENDORSEMENT_CLOSING: {"round": 1, "closes_on": "2030-01-31"},
        DecisionType.ASSIGN_OWNER: {"person_id": OWNER},
        DecisionType.PUBLISH_LESSON: {"lesson": "les-1", "evidence_level": "described"},
    }[kind]
    if kind is DecisionType.START:
        return start(actor)
    return decision(kind.value, actor, **fields)  # type: ignore[arg-type]


T = DecisionType
INV = "invalid_transition"

# Expected verdict per stage (with its preconditions met) for each decision type.
STAGE_TABLE: dict[str, tuple[Callable[[], ExperimentState], dict[DecisionType, str | None]]] = {
    "plan": (
        plan_ready,
        {
            T.START: "already_started",
            T.REVISE_PLAN: ALLOWED,
            T.ENDORSE_PLAN: "plan_already_endorsed",
            T.ADVANCE: ALLOWED,
            T.RECORD_FINDING: INV,
            T.RECORD_LESSON: INV,
            T.CLOSE: INV,
            T.STAGE_DUE: INV,
            T.STAGE_OVERDUE: INV,
            T.OPEN_ENDORSEMENT: "plan_already_endorsed",
        }
        | dict.fromkeys(ROUND_TYPES[1:], "no_open_round")
        | {T.ASSIGN_OWNER: ALLOWED},
    ),
    "act": (
        act,
        {
            T.START: "already_started",
            T.REVISE_PLAN: INV,
            T.ENDORSE_PLAN: INV,
            T.ADVANCE: ALLOWED,
            T.RECORD_FINDING: ALLOWED,
            T.RECORD_LESSON: INV,
            T.CLOSE: INV,
            T.STAGE_DUE: ALLOWED,
            T.STAGE_OVERDUE: ALLOWED,
        }
        | dict.fromkeys(ROUND_TYPES, INV)
        | {T.ASSIGN_OWNER: ALLOWED},
    ),
    "evaluate": (
        evaluate_ready,
        {
            T.START: "already_started",
            T.REVISE_PLAN: INV,
            T.ENDORSE_PLAN: INV,
            T.ADVANCE: ALLOWED,
            T.RECORD_FINDING: ALLOWED,
            T.RECORD_LESSON: INV,
            T.CLOSE: INV,
            T.STAGE_DUE: INV,
            T.STAGE_OVERDUE: ALLOWED,
        }
        | dict.fromkeys(ROUND_TYPES, INV)
        | {T.ASSIGN_OWNER: ALLOWED},
    ),
    "learn": (
        learn_ready,
        {
            T.START: "already_started",
            T.REVISE_PLAN: INV,
            T.ENDORSE_PLAN: INV,
            T.ADVANCE: ALLOWED,
            T.RECORD_FINDING: INV,
            T.RECORD_LESSON: ALLOWED,
            T.CLOSE: ALLOWED,
            T.STAGE_DUE: INV,
            T.STAGE_OVERDUE: INV,
        }
        | dict.fromkeys(ROUND_TYPES, INV)
        | {T.ASSIGN_OWNER: ALLOWED},
    ),
    "closed": (
        closed,
        {kind: "experiment_closed" for kind in T if kind is not T.START}
        | {T.START: "already_started"},
    ),
}

STAGE_CASES = [
    pytest.param(builder, kind, expected, id=f"{stage}-{kind.value}")
    for stage, (builder, table) in STAGE_TABLE.items()
    for kind, expected in table.items()
]


@pytest.mark.parametrize(("build", "kind", "expected"), STAGE_CASES)
def test_stage_by_decision(
    build: Callable[[], ExperimentState], kind: DecisionType, expected: str | None
) -> None:
    state = build()
    found = rules.refusal(state, probe(kind, state))
    assert (found.code if found else None) == expected


# Who may take which decision, as the product defines it (not read from the code).
ROLE_TABLE: dict[DecisionType, set[Role]] = {
    T.START: {Role.PROGRAMME_MANAGER, Role.RESIDENT},
    T.REVISE_PLAN: {Role.PROGRAMME_MANAGER},
    T.ENDORSE_PLAN: {Role.PROGRAMME_MANAGER, Role.RESIDENT},
    T.ADVANCE: {Role.PROGRAMME_MANAGER, Role.INTEGRATION},
    T.RECORD_FINDING: {Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.INTEGRATION, Role.PARTNER},
    T.RECORD_LESSON: {Role.PROGRAMME_MANAGER, Role.RESIDENT},
    T.CLOSE: {Role.PROGRAMME_MANAGER},
    T.STAGE_DUE: {Role.SYSTEM},
    T.STAGE_OVERDUE: {Role.SYSTEM},
    T.OPEN_ENDORSEMENT: {Role.PROGRAMME_MANAGER},
    T.ENDORSE: {Role.RESIDENT},
    T.OBJECT: {Role.RESIDENT},
    T.RECORD_MEETING_VOTE: {Role.PROGRAMME_MANAGER},
    T.CO_SIGN: {Role.PARTNER},
    T.ENDORSEMENT_REACHED: {Role.SYSTEM},
    T.ENDORSEMENT_FAILED: {Role.SYSTEM},
    T.ENDORSEMENT_CLOSING: {Role.SYSTEM},
    T.ASSIGN_OWNER: {Role.PROGRAMME_MANAGER},
    T.PUBLISH_LESSON: {Role.PROGRAMME_MANAGER},
}

# A state in which each decision is open to those allowed to take it.
OPEN_IN: dict[DecisionType, Callable[[], ExperimentState | None]] = {
    T.START: lambda: None,
    T.REVISE_PLAN: plan_ready,
    T.ENDORSE_PLAN: lambda: _run(decision("revise_plan", **PLAN)),
    T.ADVANCE: plan_ready,
    T.RECORD_FINDING: act,
    T.RECORD_LESSON: learn_ready,
    T.CLOSE: learn_ready,
    T.STAGE_DUE: act,
    T.STAGE_OVERDUE: act,
    T.OPEN_ENDORSEMENT: lambda: _run(decision("revise_plan", **PLAN)),
    T.ENDORSE: lambda: round_open(),
    T.OBJECT: lambda: round_open(),
    T.RECORD_MEETING_VOTE: lambda: round_open(),
    T.CO_SIGN: lambda: round_open(co_signed=False),
    T.ENDORSEMENT_REACHED: lambda: round_open(decision("endorse", RESIDENT)),
    T.ENDORSEMENT_FAILED: lambda: round_open(),
    T.ENDORSEMENT_CLOSING: lambda: round_open(),
    T.ASSIGN_OWNER: act,
    T.PUBLISH_LESSON: learn_ready,
}


def round_open(*then: Decision, co_signed: bool = True) -> ExperimentState:
    """A plan Woonstad co-signs, in an open round that one endorsement reaches."""
    signed = [decision("co_sign", PARTNER, organisation="Woonstad")] if co_signed else []
    return _run(
        decision("revise_plan", **PLAN, co_signers=["Woonstad"]),
        decision("open_endorsement", closes_on="2030-01-31", threshold={"count": 1}),
        *signed,
        *then,
    )


@pytest.mark.parametrize(
    ("kind", "role"),
    [pytest.param(k, r, id=f"{k.value}-{r.value}") for k in T for r in Role],
)
def test_role_matrix(kind: DecisionType, role: Role) -> None:
    state = OPEN_IN[kind]()
    if state is None:
        found = rules.refusal(None, start(ACTORS[role]))
    else:
        found = rules.refusal(state, probe(kind, state, role))
    if role in ROLE_TABLE[kind]:
        assert found is None
    else:
        assert found is not None
        assert found.code == "role_not_allowed"


PRECONDITIONS = [
    ("advance without a plan", lambda: _run(), decision("advance", to="act"), "no_plan"),
    ("endorse without a plan", lambda: _run(), decision("endorse_plan", RESIDENT), "no_plan"),
    (
        "advance with an unendorsed plan",
        lambda: _run(decision("revise_plan", **PLAN)),
        decision("advance", to="act"),
        "plan_not_endorsed",
    ),
    (
        "a revision needs a new endorsement",
        lambda: _run(
            decision("revise_plan", **PLAN),
            decision("endorse_plan", RESIDENT),
            decision("revise_plan", **PLAN),
        ),
        decision("advance", to="act"),
        "plan_not_endorsed",
    ),
    (
        "advance with a plan without indicators",
        lambda: _run(
            decision("revise_plan", description="nog zonder meetpunten"),
            decision("endorse_plan", RESIDENT),
        ),
        decision("advance", to="act"),
        "plan_without_indicator",
    ),
    ("skip a stage", plan_ready, decision("advance", to="evaluate"), INV),
    ("go back a stage", act, decision("advance", to="plan"), INV),
    (
        "learn without a residents' finding",
        lambda: _run(
            decision("revise_plan", **PLAN),
            decision("endorse_plan", RESIDENT),
            decision("advance", to="act"),
            decision("record_finding", text="cijfers", source="data"),
            decision("advance", to="evaluate"),
        ),
        decision("advance", to="learn"),
        "no_resident_finding",
    ),
    (
        "next cycle without a lesson",
        lambda: _run(
            decision("revise_plan", **PLAN),
            decision("endorse_plan", RESIDENT),
            decision("advance", to="act"),
            decision("record_finding", RESIDENT, text="fijn", source="residents"),
            decision("advance", to="evaluate"),
            decision("advance", to="learn"),
        ),
        decision("advance", to="plan"),
        "no_lesson",
    ),
    (
        "close without a lesson",
        lambda: _run(
            decision("revise_plan", **PLAN),
            decision("endorse_plan", RESIDENT),
            decision("advance", to="act"),
            decision("record_finding", RESIDENT, text="fijn", source="residents"),
            decision("advance", to="evaluate"),
            decision("advance", to="learn"),
        ),
        decision("close", outcome="stopped"),
        "no_lesson",
    ),
    (
        "a finding on an indicator the plan lacks",
        act,
        decision("record_finding", text="x", source="data", indicator="onbekend", value=3),
        "unknown_indicator",
    ),
    (
        "the act period recorded as over twice",
        lambda: _run(
            decision("revise_plan", **PLAN),
            decision("endorse_plan", RESIDENT),
            decision("advance", to="act"),
            decision("stage_due", SYSTEM),
        ),
        decision("stage_due", SYSTEM),
        "already_recorded",
    ),
]


@pytest.mark.parametrize(
    ("build", "attempt", "code"),
    [pytest.param(b, a, c, id=name) for name, b, a, c in PRECONDITIONS],
)
def test_preconditions(build: Callable[[], ExperimentState], attempt: Decision, code: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        rules.check(build(), attempt)
    assert refused.value.code == code


def test_not_started_allows_only_start() -> None:
    assert rules.allowed(None, Role.PROGRAMME_MANAGER) == ["start"]
    found = rules.refusal(None, decision("revise_plan", **PLAN))
    assert found is not None
    assert found.code == "not_started"


def test_refusal_lists_what_is_allowed_now() -> None:
    with pytest.raises(RuleViolation) as refused:
        rules.check(_run(decision("revise_plan", **PLAN)), decision("advance", to="act"))
    assert refused.value.stage == "plan"
    assert refused.value.allowed == ["revise_plan", "endorse_plan", "open_endorsement"]


def test_assess_gives_reasons_for_what_is_closed() -> None:
    verdicts = {
        v.type: v for v in rules.assess(_run(decision("revise_plan", **PLAN)), Role.RESIDENT)
    }
    assert verdicts[T.ENDORSE_PLAN].allowed
    assert verdicts[T.RECORD_LESSON].refusal is not None
    assert verdicts[T.RECORD_LESSON].refusal.code == INV
    assert T.CLOSE not in verdicts  # residents never close


def test_timer_flags_reset_on_stage_change() -> None:
    state = _run(
        decision("revise_plan", **PLAN),
        decision("endorse_plan", RESIDENT),
        decision("advance", to="act"),
        decision("stage_due", SYSTEM),
        decision("stage_overdue", SYSTEM),
        decision("advance", to="evaluate"),
    )
    assert (state.stage_due, state.stage_overdue) == (False, False)


@pytest.mark.parametrize(
    ("source", "refused"), [("professionals", False), ("residents", True), ("data", True)]
)
def test_a_partner_records_findings_from_professionals_only(source: str, refused: bool) -> None:
    state = _run(
        decision("revise_plan", **PLAN),
        decision("endorse_plan", RESIDENT),
        decision("advance", to="act"),
    )
    finding = decision("record_finding", PARTNER, text="gezien bij huisbezoek", source=source)
    if refused:
        with pytest.raises(RuleViolation) as refusal:
            rules.check(state, finding)
        assert refusal.value.code == "source_not_allowed"
    else:
        rules.check(state, finding)
    assert rules.allowed(state, Role.PARTNER) == ["record_finding"]
