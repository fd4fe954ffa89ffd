"""The state of an experiment, and how each decision changes it.

`evolve_by` is the one fold, from a decision's type and payload as every stored event carries
them: the aggregate applies it when events are replayed (and so the workflow's copy, which
comes from the aggregate's answers), the projector when it folds a batch. It assumes the
decision was allowed (see `domain.rules`) and only assigns.

Longer than 200 lines, and whole on purpose: the state, its document form and what each
decision changes are one fold; split, a new field would have to be added in three places.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain import funding, indicators
from domain.decisions import BOOKKEEPING, DEFAULT_ACT_DAYS, Decision, DecisionType
from domain.endorsement import Round, RoundStatus, Vote, opened
from domain.funding import CycleBudget
from domain.indicators import Measurement
from domain.values import (
    BudgetLine,
    FindingSource,
    Indicator,
    Neighbourhood,
    NeighbourhoodKind,
    Outcome,
    Stage,
    Status,
    Theme,
    numeric,
)

NEXT_STAGE: dict[Stage, Stage] = {
    Stage.PLAN: Stage.ACT,
    Stage.ACT: Stage.EVALUATE,
    Stage.EVALUATE: Stage.LEARN,
    Stage.LEARN: Stage.PLAN,
}


@dataclass(frozen=True, slots=True)
class Plan:
    """The current plan revision; `revision` 0 means no plan has been written yet."""

    revision: int = 0
    description: str = ""
    indicators: tuple[Indicator, ...] = ()
    budget: tuple[BudgetLine, ...] = ()
    endorsed: bool = False
    # Organisations (partners) that co-sign this plan in its endorsement round.
    co_signers: tuple[str, ...] = ()

    @property
    def budget_total_eur(self) -> Decimal:
        return sum((line.amount_eur for line in self.budget), Decimal("0.00"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "description": self.description,
            "indicators": [i.to_dict() for i in self.indicators],
            "budget": [b.to_dict() for b in self.budget],
            "budget_total_eur": str(self.budget_total_eur),
            "endorsed": self.endorsed,
            "co_signers": list(self.co_signers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Tolerant, like `ExperimentState.from_dict`: what is missing takes its default."""
        return cls(
            revision=data.get("revision", 0),
            description=data.get("description", ""),
            indicators=tuple(Indicator.from_dict(i) for i in data.get("indicators", ())),
            budget=tuple(
                BudgetLine(b["source"], Decimal(b["amount_eur"])) for b in data.get("budget", ())
            ),
            endorsed=data.get("endorsed", False),
            co_signers=tuple(data.get("co_signers", ())),
        )


# Without slots: `evolve_by` copies a state by its `__dict__` in one step.
@dataclass(frozen=True)
class ExperimentState:
    id: str
    municipality: str
    neighbourhood: Neighbourhood
    title: str
    question: str
    residents_agenda: str
    themes: tuple[Theme, ...]
    act_days: int
    created_at: datetime
    updated_at: datetime
    version: int
    cycle: int = 1
    stage: Stage = Stage.PLAN
    status: Status = Status.ACTIVE
    outcome: Outcome | None = None
    plan: Plan = field(default_factory=Plan)
    stage_entered_at: datetime | None = None
    # What the rules need to know about the current cycle.
    findings_this_cycle: int = 0
    resident_findings_this_cycle: int = 0
    lessons_this_cycle: int = 0
    stage_due: bool = False
    stage_overdue: bool = False
    # The rules it runs under (`decisions.RULES_ROUNDS`), its current cycle's latest
    # endorsement round, and how many rounds were ever opened (their numbers).
    rules: int = 1
    endorsement: Round | None = None
    rounds_opened: int = 0
    # The programme manager responsible for it (pseudonymous id), once one is named.
    owner: str | None = None
    # The programme it is part of, if any (`domain.programme`).
    programme_id: str | None = None
    # When it last took a step (any decision but bookkeeping, `decisions.BOOKKEEPING`): what
    # it waits for has waited since then. None in documents written before it was kept.
    moved_at: datetime | None = None
    # Every finding that measured an indicator (named it with a number), oldest first.
    measurements: tuple[Measurement, ...] = ()
    # What each cycle's plan planned, per pot, and the year it counts in (`domain.funding`).
    cycle_budgets: tuple[CycleBudget, ...] = ()

    @property
    def is_closed(self) -> bool:
        return self.status is Status.CLOSED

    @property
    def open_round(self) -> Round | None:
        round_ = self.endorsement
        return round_ if round_ is not None and round_.is_open else None

    def indicator_names(self) -> frozenset[str]:
        return frozenset(i.name for i in self.plan.indicators)

    def to_dict(self) -> dict[str, Any]:
        """The experiment shape of the HTTP contract (plus a few fields the pages use)."""
        return {
            "id": self.id,
            "municipality": self.municipality,
            "neighbourhood": self.neighbourhood.to_dict(),
            "title": self.title,
            "question": self.question,
            "residents_agenda": self.residents_agenda,
            "themes": [t.value for t in self.themes],
            "cycle": self.cycle,
            "stage": self.stage.value,
            "status": self.status.value,
            "outcome": self.outcome.value if self.outcome else None,
            "plan": self.plan.to_dict(),
            "act_days": self.act_days,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
            "stage_entered_at": self.stage_entered_at.isoformat()
            if self.stage_entered_at
            else None,
            "findings_this_cycle": self.findings_this_cycle,
            "resident_findings_this_cycle": self.resident_findings_this_cycle,
            "lessons_this_cycle": self.lessons_this_cycle,
            "stage_due": self.stage_due,
            "stage_overdue": self.stage_overdue,
            "rules": self.rules,
            "endorsement": self.endorsement.to_dict() if self.endorsement else None,
            "rounds_opened": self.rounds_opened,
            "owner": self.owner,
            "programme_id": self.programme_id,
            "moved_at": self.moved_at.isoformat() if self.moved_at else None,
            "indicators": indicators.report(self.plan.indicators, self.measurements),
            "measurements": [m.to_dict() for m in self.measurements],
            "budget_by_cycle": [b.to_dict() for b in self.cycle_budgets],
            "planned_eur": funding.planned(self.cycle_budgets),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentState:
        """A state from its stored document (a read model's row, a workflow's carried state).

        Tolerant: the experiment's identity is required, anything added since a document was
        written takes its default, and keys this code does not know are ignored, so documents
        of older and newer shapes both load.
        """
        n = data["neighbourhood"]
        created = datetime.fromisoformat(data["created_at"])
        entered = data.get("stage_entered_at")
        return cls(
            id=data["id"],
            municipality=data["municipality"],
            neighbourhood=Neighbourhood(n["code"], n["name"], NeighbourhoodKind(n["kind"])),
            title=data["title"],
            question=data["question"],
            residents_agenda=data["residents_agenda"],
            themes=tuple(Theme(t) for t in data.get("themes", ())),
            act_days=data.get("act_days", DEFAULT_ACT_DAYS),
            created_at=created,
            updated_at=datetime.fromisoformat(data["updated_at"])
            if "updated_at" in data
            else created,
            version=data.get("version", 1),
            cycle=data.get("cycle", 1),
            stage=Stage(data.get("stage", Stage.PLAN.value)),
            status=Status(data.get("status", Status.ACTIVE.value)),
            outcome=Outcome(data["outcome"]) if data.get("outcome") else None,
            plan=Plan.from_dict(data.get("plan", {})),
            stage_entered_at=datetime.fromisoformat(entered) if entered else None,
            findings_this_cycle=data.get("findings_this_cycle", 0),
            resident_findings_this_cycle=data.get("resident_findings_this_cycle", 0),
            lessons_this_cycle=data.get("lessons_this_cycle", 0),
            stage_due=data.get("stage_due", False),
            stage_overdue=data.get("stage_overdue", False),
            rules=data.get("rules", 1),
            endorsement=Round.from_dict(data["endorsement"]) if data.get("endorsement") else None,
            rounds_opened=data.get("rounds_opened", 0),
            owner=data.get("owner"),
            programme_id=data.get("programme_id"),
            moved_at=datetime.fromisoformat(data["moved_at"]) if data.get("moved_at") else None,
            measurements=tuple(Measurement.from_dict(m) for m in data.get("measurements", ())),
            cycle_budgets=tuple(CycleBudget.from_dict(b) for b in data.get("budget_by_cycle", ())),
        )


def begin(experiment_id: str, decision: Decision, *, at: datetime) -> ExperimentState:
    """The state right after the `start` decision."""
    return begin_by(experiment_id, decision.payload, at=at)


def begin_by(experiment_id: str, p: dict[str, Any], *, at: datetime) -> ExperimentState:
    """`begin` from the start decision's payload alone, as a stored event carries it."""
    n = p["neighbourhood"]
    return ExperimentState(
        id=experiment_id,
        municipality=p["municipality"],
        neighbourhood=Neighbourhood(n["code"], n["name"], NeighbourhoodKind(n["kind"])),
        title=p["title"],
        question=p["question"],
        residents_agenda=p["residents_agenda"],
        themes=tuple(Theme(t) for t in p["themes"]),
        act_days=p["act_days"],
        created_at=at,
        updated_at=at,
        version=1,
        stage_entered_at=at,
        rules=p.get("rules", 1),
        moved_at=at,
        programme_id=p.get("programme_id"),
    )


def _changes(
    state: ExperimentState, kind: DecisionType, p: dict[str, Any], at: datetime
) -> dict[str, Any]:
    """What a decision changes, as field values; `evolve` applies them in one copy."""
    match kind:
        case DecisionType.REVISE_PLAN:
            plan = Plan(
                revision=state.plan.revision + 1,
                description=p["description"],
                indicators=tuple(Indicator.from_dict(i) for i in p["indicators"]),
                budget=tuple(
                    BudgetLine(b["source"], Decimal(b["amount_eur"])) for b in p["budget"]
                ),
                endorsed=False,
                co_signers=tuple(p.get("co_signers", state.plan.co_signers)),
            )
            budgets = funding.with_cycle(state.cycle_budgets, state.cycle, at, plan.budget)
            if state.endorsement is None:
                return {"plan": plan, "cycle_budgets": budgets}
            # A plan put to residents and then revised is put to them again, as revised.
            number = state.rounds_opened + 1
            return {
                "plan": plan,
                "cycle_budgets": budgets,
                "endorsement": state.endorsement.reopened(
                    number, plan.revision, at, plan.co_signers
                ),
                "rounds_opened": number,
            }
        case DecisionType.ENDORSE_PLAN:
            return {"plan": replace(state.plan, endorsed=True)}
        case DecisionType.OPEN_ENDORSEMENT:
            number = state.rounds_opened + 1
            return {
                "endorsement": opened(number, state.plan.revision, p, at, state.plan.co_signers),
                "rounds_opened": number,
            }
        case DecisionType.ENDORSE | DecisionType.OBJECT:
            return {"endorsement": _round(state).voted(p["voter"], Vote(kind.value))}
        case DecisionType.RECORD_MEETING_VOTE:
            round_ = _round(state)
            meeting = f"meeting-{len(round_.meetings) + 1}"
            return {"endorsement": round_.meeting_voted(meeting, p)}
        case DecisionType.CO_SIGN:
            return {"endorsement": _round(state).co_signed_by(p["organisation"])}
        case DecisionType.ENDORSEMENT_REACHED:
            return {
                "endorsement": _round(state).closed(RoundStatus.REACHED, at),
                "plan": replace(state.plan, endorsed=True),
            }
        case DecisionType.ENDORSEMENT_FAILED:
            return {"endorsement": _round(state).closed(RoundStatus.FAILED, at)}
        case DecisionType.ENDORSEMENT_CLOSING:
            return {"endorsement": _round(state).closing_said()}
        case DecisionType.ASSIGN_OWNER:
            return {"owner": p["person_id"]}
        case DecisionType.PUBLISH_LESSON:
            return {}  # the commons holds it; the cycle goes on as it was
        case DecisionType.ADVANCE:
            to = Stage(p["to"])
            # Entering a stage clears the timers of the stage left behind.
            entered = {
                "stage": to,
                "stage_entered_at": at,
                "stage_due": False,
                "stage_overdue": False,
            }
            if to is Stage.PLAN:
                # A new cycle: the plan carries over as a draft that residents endorse anew,
                # and plans its budget for this cycle until it is revised.
                return {
                    **entered,
                    "cycle_budgets": funding.with_cycle(
                        state.cycle_budgets, state.cycle + 1, at, state.plan.budget
                    ),
                    "cycle": state.cycle + 1,
                    "plan": replace(state.plan, endorsed=False),
                    "endorsement": None,
                    "findings_this_cycle": 0,
                    "resident_findings_this_cycle": 0,
                    "lessons_this_cycle": 0,
                }
            return entered
        case DecisionType.RECORD_FINDING:
            from_residents = p["source"] == FindingSource.RESIDENTS.value
            changes: dict[str, Any] = {
                "findings_this_cycle": state.findings_this_cycle + 1,
                "resident_findings_this_cycle": state.resident_findings_this_cycle
                + int(from_residents),
            }
            value = numeric(p.get("value")) if p.get("indicator") else None
            if value is not None:
                measured = Measurement(
                    p["indicator"], state.cycle, value, at.isoformat(), p["source"]
                )
                changes["measurements"] = (*state.measurements, measured)
            return changes
        case DecisionType.RECORD_LESSON:
            return {"lessons_this_cycle": state.lessons_this_cycle + 1}
        case DecisionType.CLOSE:
            return {"status": Status.CLOSED, "outcome": Outcome(p["outcome"])}
        case DecisionType.STAGE_DUE:
            return {"stage_due": True}
        case DecisionType.STAGE_OVERDUE:
            return {"stage_overdue": True}
        case DecisionType.START:
            raise ValueError("start begins an experiment; use begin()")
    raise ValueError(f"unknown decision type {kind}")  # pragma: no cover


def _round(state: ExperimentState) -> Round:
    assert state.endorsement is not None, "a vote is allowed only in a round"
    return state.endorsement


def evolve_by(
    state: ExperimentState, kind: DecisionType, payload: dict[str, Any], *, at: datetime
) -> ExperimentState:
    """The state after a decision of `kind` with `payload`, as stored events carry them.

    Folding runs once per stored event on every rebuild, so the copy is made directly, by the
    instance dictionary, rather than through `dataclasses.replace`, which costs thirty times
    as much.
    """
    changes = _changes(state, kind, payload, at)
    changes["updated_at"] = at
    changes["version"] = state.version + 1
    if kind not in BOOKKEEPING:
        changes["moved_at"] = at
    evolved = object.__new__(ExperimentState)
    fields_of = evolved.__dict__
    fields_of.update(state.__dict__)
    fields_of.update(changes)
    return evolved
