"""What an experiment waits for, and from whom: the next step of its cycle, as work.

A programme manager with dozens of experiments needs the list of what waits on them, and a
resident what waits on residents. The step is the one the cycle cannot go on without (a
plan, residents' support, a finding from residents, a lesson, the move to the next stage);
each candidate is kept only when `domain.rules` would take it now from that role, so this
never holds a second copy of the rules — it only says which of the open decisions matters.
Pure: the read model of actions folds it per experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import rules
from domain.decisions import RULES_ROUNDS, Decision, DecisionType
from domain.state import NEXT_STAGE, ExperimentState
from domain.values import Actor, Role, Stage

PM = Role.PROGRAMME_MANAGER
RESIDENT = Role.RESIDENT


@dataclass(frozen=True, slots=True)
class Awaited:
    """One decision an experiment waits for, from a role, since a moment."""

    decision: DecisionType
    role: Role
    since: datetime
    overdue: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "awaited": self.decision.value,
            "from": self.role.value,
            "since": self.since.isoformat(),
            "overdue": self.overdue,
        }


def _candidates(state: ExperimentState) -> list[tuple[DecisionType, Role]]:
    """The steps the cycle waits for now, before the rules have their say."""
    stage, plan = state.stage, state.plan
    if stage is Stage.PLAN:
        if plan.revision == 0:
            return [(DecisionType.REVISE_PLAN, PM)]
        if plan.endorsed:
            return [(DecisionType.ADVANCE, PM)]
        round_ = state.open_round
        if round_ is not None:
            waiting = [(DecisionType.ENDORSE, RESIDENT)]
            if round_.missing_co_signers:
                waiting.append((DecisionType.CO_SIGN, Role.PARTNER))
            return waiting
        if state.rules >= RULES_ROUNDS:
            return [(DecisionType.OPEN_ENDORSEMENT, PM)]
        return [(DecisionType.ENDORSE_PLAN, RESIDENT)]
    if stage is Stage.ACT:
        # The act period runs its course; once it is over, the manager moves on.
        return [(DecisionType.ADVANCE, PM)] if state.stage_due else []
    if stage is Stage.EVALUATE:
        if state.resident_findings_this_cycle == 0:
            return [(DecisionType.RECORD_FINDING, RESIDENT)]
        return [(DecisionType.ADVANCE, PM)]
    if state.lessons_this_cycle == 0:
        return [(DecisionType.RECORD_LESSON, RESIDENT), (DecisionType.RECORD_LESSON, PM)]
    return [(DecisionType.ADVANCE, PM)]


def _probe(state: ExperimentState, kind: DecisionType, role: Role) -> Decision:
    """A stand-in of the decision, as `rules.assess` makes one: advance towards the next
    stage, a finding from residents, a co-signature by one of the missing organisations."""
    payload: dict[str, Any] = {}
    if kind is DecisionType.ADVANCE:
        payload = {"to": NEXT_STAGE[state.stage].value}
    elif kind is DecisionType.RECORD_FINDING:
        payload = {"source": "residents"}
    elif kind is DecisionType.CO_SIGN and state.open_round is not None:
        payload = {"organisation": state.open_round.missing_co_signers[0]}
    return Decision("probe", kind, Actor("probe", role), "", "api", payload)


def awaited(state: ExperimentState) -> list[Awaited]:
    """What `state` waits for, each from the role that may take it now (nothing once closed).

    `since` is when the experiment last took a step (the wait began then; naming a manager or
    sharing a lesson does not end it); `overdue` follows the workflow's timer.
    """
    if state.is_closed:
        return []
    return [
        Awaited(kind, role, state.moved_at or state.updated_at, state.stage_overdue)
        for kind, role in _candidates(state)
        if rules.refusal(state, _probe(state, kind, role)) is None
    ]
