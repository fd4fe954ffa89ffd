"""The rules of the learning cycle: may this actor take this decision now, and if not, why.

One pure function set, called by the aggregate before it records, by the workflow's update
validator before anything is written, and by the pages to show what is possible. Each refusal
has a stable code; `allowed` lists the decisions the same actor could take instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.decisions import BOOKKEEPING, RULES_ROUNDS, Decision, DecisionType
from domain.endorsement_rules import ROUND_DECISIONS, round_refusal, speaking_refusal
from domain.errors import RuleViolation
from domain.refusals import Refusal
from domain.state import NEXT_STAGE, ExperimentState
from domain.values import Actor, FindingSource, Role, Stage

PM = Role.PROGRAMME_MANAGER
RESIDENT = Role.RESIDENT

# Who may take which decision. Integrations act through signed webhooks (survey tools record
# findings, schedulers move stages); the workflow's own timers act as the system.
ROLE_MATRIX: dict[DecisionType, frozenset[Role]] = {
    DecisionType.START: frozenset({PM, RESIDENT}),
    DecisionType.REVISE_PLAN: frozenset({PM}),
    DecisionType.ENDORSE_PLAN: frozenset({RESIDENT, PM}),
    DecisionType.ADVANCE: frozenset({PM, Role.INTEGRATION}),
    DecisionType.RECORD_FINDING: frozenset({PM, RESIDENT, Role.INTEGRATION, Role.PARTNER}),
    DecisionType.RECORD_LESSON: frozenset({PM, RESIDENT}),
    DecisionType.CLOSE: frozenset({PM}),
    DecisionType.STAGE_DUE: frozenset({Role.SYSTEM}),
    DecisionType.STAGE_OVERDUE: frozenset({Role.SYSTEM}),
    DecisionType.OPEN_ENDORSEMENT: frozenset({PM}),
    DecisionType.ENDORSE: frozenset({RESIDENT}),
    DecisionType.OBJECT: frozenset({RESIDENT}),
    DecisionType.RECORD_MEETING_VOTE: frozenset({PM}),
    DecisionType.CO_SIGN: frozenset({Role.PARTNER}),
    DecisionType.ENDORSEMENT_REACHED: frozenset({Role.SYSTEM}),
    DecisionType.ENDORSEMENT_FAILED: frozenset({Role.SYSTEM}),
    DecisionType.ENDORSEMENT_CLOSING: frozenset({Role.SYSTEM}),
    DecisionType.ASSIGN_OWNER: frozenset({PM}),
    DecisionType.PUBLISH_LESSON: frozenset({PM}),
}


# In which stages a decision can be taken at all (advance: from every stage, to the next).
STAGES: dict[DecisionType, frozenset[Stage]] = {
    DecisionType.REVISE_PLAN: frozenset({Stage.PLAN}),
    DecisionType.ENDORSE_PLAN: frozenset({Stage.PLAN}),
    DecisionType.ADVANCE: frozenset(Stage),
    DecisionType.RECORD_FINDING: frozenset({Stage.ACT, Stage.EVALUATE}),
    DecisionType.RECORD_LESSON: frozenset({Stage.LEARN}),
    DecisionType.CLOSE: frozenset({Stage.LEARN}),
    DecisionType.STAGE_DUE: frozenset({Stage.ACT}),
    DecisionType.STAGE_OVERDUE: frozenset({Stage.ACT, Stage.EVALUATE}),
    **{kind: frozenset({Stage.PLAN}) for kind in ROUND_DECISIONS},
    DecisionType.ASSIGN_OWNER: frozenset(Stage),
    DecisionType.PUBLISH_LESSON: frozenset(Stage),
}

ORDER: tuple[DecisionType, ...] = tuple(DecisionType)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one kind of decision is open to a role now; `refusal` says why not."""

    type: DecisionType
    refusal: Refusal | None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def _precondition(
    state: ExperimentState, decision: Decision, now: datetime | None
) -> Refusal | None:
    """The conditions that make a decision meaningful, beyond stage and role."""
    kind, p = decision.type, decision.payload
    if kind is DecisionType.ENDORSE_PLAN:
        if state.rules >= RULES_ROUNDS:
            return Refusal(
                "endorsement_by_round",
                "residents endorse this experiment's plans in a round: open_endorsement",
            )
        if state.plan.revision == 0:
            return Refusal("no_plan", "there is no plan to endorse yet; revise the plan first")
        if (round_ := state.open_round) is not None:
            return Refusal(
                "round_already_open",
                f"endorsement round {round_.number} is open: residents endorse in it",
            )
        if state.plan.endorsed:
            return Refusal(
                "plan_already_endorsed",
                f"residents already endorsed plan revision {state.plan.revision}",
            )
    if kind in ROUND_DECISIONS:
        return round_refusal(state, decision, now)
    if kind is DecisionType.RECORD_FINDING and state.rules >= RULES_ROUNDS:
        spoken = speaking_refusal(decision)
        if spoken is not None:
            return spoken
    if kind is DecisionType.ADVANCE:
        return _advance_precondition(state, Stage(p.get("to", NEXT_STAGE[state.stage])))
    if kind is DecisionType.RECORD_FINDING:
        indicator = p.get("indicator")
        if indicator is not None and indicator not in state.indicator_names():
            return Refusal(
                "unknown_indicator",
                f"the plan has no indicator named {indicator!r}",
            )
    if kind is DecisionType.CLOSE and state.lessons_this_cycle == 0:
        return Refusal("no_lesson", "record at least one lesson of this cycle before closing")
    if kind is DecisionType.STAGE_DUE and state.stage_due:
        return Refusal("already_recorded", "the act period was already recorded as over")
    if kind is DecisionType.STAGE_OVERDUE and state.stage_overdue:
        return Refusal("already_recorded", "this stage was already recorded as overdue")
    return None


def _advance_precondition(state: ExperimentState, to: Stage) -> Refusal | None:
    expected = NEXT_STAGE[state.stage]
    if to is not expected:
        return Refusal(
            "invalid_transition",
            f"from {state.stage.value} the cycle moves to {expected.value}, not {to.value}",
        )
    if state.stage is Stage.PLAN:
        if state.plan.revision == 0:
            return Refusal("no_plan", "write a plan before acting on it")
        if not state.plan.endorsed:
            if state.rules >= RULES_ROUNDS:
                return Refusal(
                    "endorsement_not_reached",
                    "no endorsement round reached its threshold on the current plan revision",
                )
            return Refusal(
                "plan_not_endorsed",
                "residents have not endorsed the current plan revision yet",
            )
        if not state.plan.indicators:
            return Refusal(
                "plan_without_indicator",
                "the plan needs at least one indicator before acting on it",
            )
    if state.stage is Stage.EVALUATE and state.resident_findings_this_cycle == 0:
        return Refusal(
            "no_resident_finding",
            f"record at least one finding from {FindingSource.RESIDENTS.value} in this cycle "
            "before moving to learn",
        )
    if state.stage is Stage.LEARN and state.lessons_this_cycle == 0:
        return Refusal(
            "no_lesson", "record at least one lesson of this cycle before starting the next"
        )
    return None


# Refusals for who the actor is, whatever the stage (the API answers them with 403).
ROLE_REFUSALS = frozenset({"role_not_allowed", "source_not_allowed"})


def _a(word: str) -> str:
    """The article before a role's or a decision's name: an admin, an endorse decision."""
    return "an" if word[:1] in "aeiou" else "a"


def role_refusal(decision: Decision) -> Refusal | None:
    """Why the decision's actor may never take a decision of its type, or None."""
    kind, role = decision.type, decision.actor.role
    if role not in ROLE_MATRIX[kind]:
        return Refusal(
            "role_not_allowed",
            f"{_a(role.value)} {role.value} may not take {_a(kind.value)} {kind.value} decision",
        )
    source = decision.payload.get("source")
    if role is Role.PARTNER and source is not None and source != FindingSource.PROFESSIONALS:
        return Refusal("source_not_allowed", "a partner records findings with source professionals")
    return None


def check_role(decision: Decision) -> None:
    """Refuse, before anything is loaded, a decision its actor's role may never take: the
    state is not known yet, so the refusal names no stage and no alternatives."""
    found = role_refusal(decision)
    if found is not None:
        raise RuleViolation(found.code, found.message, stage=None, allowed=[])


def refusal(
    state: ExperimentState | None, decision: Decision, now: datetime | None = None
) -> Refusal | None:
    """Why `decision` cannot be taken now, or None when it can; `now` (the decider's clock)
    lets deadlines and dates be checked where there is one."""
    kind = decision.type
    if state is None:
        if kind is not DecisionType.START:
            return Refusal("not_started", "the experiment has not started")
    elif kind is DecisionType.START:
        return Refusal("already_started", "the experiment has already started")
    elif state.is_closed:
        return Refusal("experiment_closed", f"the experiment was closed ({state.outcome})")
    if (by_role := role_refusal(decision)) is not None:
        return by_role
    if state is None:
        return None
    if state.stage not in STAGES[kind]:
        return Refusal(
            "invalid_transition",
            f"{kind.value} is not possible in the {state.stage.value} stage",
        )
    return _precondition(state, decision, now)


def _probe(kind: DecisionType, role: Role, state: ExperimentState | None) -> Decision:
    """A stand-in decision of `kind` to assess; advance is probed towards the next stage."""
    payload = (
        {"to": NEXT_STAGE[state.stage].value} if state and kind is DecisionType.ADVANCE else {}
    )
    return Decision("probe", kind, Actor("probe", role), "", "api", payload)


def assess(state: ExperimentState | None, role: Role) -> list[Verdict]:
    """Every decision a role could ever take, each with whether it is open now and why not."""
    return [
        Verdict(kind, refusal(state, _probe(kind, role, state)))
        for kind in ORDER
        if role in ROLE_MATRIX[kind]
    ]


# Open at every stage to a manager, so never news in a refusal: `allowed` lists the cycle's
# decisions, as it always has.
NOT_LISTED = BOOKKEEPING


def allowed(state: ExperimentState | None, role: Role) -> list[str]:
    return [v.type.value for v in assess(state, role) if v.allowed and v.type not in NOT_LISTED]


def check(state: ExperimentState | None, decision: Decision, now: datetime | None = None) -> None:
    """Raise `RuleViolation` when the rules refuse `decision`."""
    found = refusal(state, decision, now)
    if found is not None:
        raise RuleViolation(
            found.code,
            found.message,
            stage=state.stage.value if state else None,
            allowed=allowed(state, decision.actor.role),
        )
