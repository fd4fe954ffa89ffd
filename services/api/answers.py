"""The shapes of every answer, so that `/openapi.json` describes each body a client gets.

The contract lets fields be added, so every model allows more than it names (and clients
should too); the contract tests check that each answer holds no field its model leaves out.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class Neighbourhood(Answer):
    code: str
    name: str
    kind: str = Field(description="wijk, buurt, kern or dorp")


class Baseline(Answer):
    value: float
    at: str = Field(description="when it was measured: a date (YYYY-MM-DD) or a year")
    source: str


class Indicator(Answer):
    name: str
    target: str
    unit: str | None = None
    baseline: Baseline | None = None
    direction: str | None = Field(default=None, description="increase or decrease")


class Measured(Answer):
    cycle: int
    value: float
    at: str
    source: str = Field(description="residents, professionals or data")


class Measurement(Measured):
    indicator: str


class CycleBudget(Answer):
    cycle: int
    year: int = Field(description="the year (in the Netherlands) the cycle's plan counts in")
    budget: list[BudgetLine]
    total_eur: str


class PlannedFunding(Answer):
    source: str
    year: int
    amount_eur: str


class Divergence(Answer):
    cycle: int
    residents: float = Field(description="residents' latest measurement in that cycle")
    figures: float = Field(description="the latest from data or professionals")
    baseline: float


class IndicatorReport(Answer):
    name: str
    unit: str | None
    baseline: Baseline | None
    target: str
    direction: str | None = Field(description="as said, or from the baseline to the target")
    series: list[Measured]
    progress: float | None = Field(
        description="share of the way from baseline to target (null without both)"
    )
    divergence: Divergence | None = Field(
        description="the latest cycle in which residents and the figures point in opposite "
        "directions against the baseline: a question for the learn stage"
    )


class BudgetLine(Answer):
    source: str = Field(description="the funding source (a departmental pot)")
    amount_eur: str = Field(description="a decimal amount in euros, as a string: cents exact")


class Plan(Answer):
    revision: int = Field(description="0 until the first revise_plan")
    description: str
    indicators: list[Indicator]
    budget: list[BudgetLine]
    budget_total_eur: str
    endorsed: bool = Field(description="residents endorsed this revision")
    co_signers: list[str] = Field(default=[], description="organisations that co-sign the plan")


class EndorsementRound(Answer):
    number: int = Field(description="rounds are numbered through the experiment, from 1")
    revision: int = Field(description="the plan revision put to residents")
    status: str = Field(description="open, reached, failed or superseded")
    opened_at: str
    closes_on: str = Field(description="the last day to vote (YYYY-MM-DD)")
    closes_at: str = Field(description="when the round closes: midnight UTC after closes_on")
    closed_at: str | None
    threshold: dict[str, Any] = Field(description="{count: N} or {share: 0.0-1.0}")
    electorate: int = Field(description="residents invited to the experiment at opening")
    needed: int = Field(description="endorsements that reach the threshold")
    endorsements: int
    objections: int
    meetings: list[str] = Field(description="residents' meetings whose vote counts as one each")
    co_signers: list[str]
    co_signed: list[str]
    votes: dict[str, str] = Field(
        description="each voter's standing vote (endorse or object), by pseudonymous id"
    )


class Experiment(Answer):
    id: str
    municipality: str
    neighbourhood: Neighbourhood
    title: str
    question: str
    residents_agenda: str
    themes: list[str]
    cycle: int
    stage: str = Field(description="plan, act, evaluate or learn")
    status: str = Field(description="active or closed")
    outcome: str | None = Field(description="adopted, scaled or stopped, once closed")
    plan: Plan
    act_days: int
    created_at: str
    updated_at: str
    version: int
    stage_entered_at: str | None
    findings_this_cycle: int
    resident_findings_this_cycle: int
    lessons_this_cycle: int
    stage_due: bool
    stage_overdue: bool
    rules: int = Field(
        default=1, description="1: begun before endorsement rounds (endorse_plan); 2: rounds"
    )
    endorsement: EndorsementRound | None = Field(
        default=None, description="the current cycle's latest endorsement round"
    )
    rounds_opened: int = 0
    owner: str | None = Field(
        default=None, description="the responsible programme manager (person id), once named"
    )
    indicators: list[IndicatorReport] = Field(
        default_factory=list,
        description="the plan's indicators with their measurements over the cycles",
    )
    budget_by_cycle: list[CycleBudget] = Field(
        default_factory=list, description="what each cycle's latest plan planned, per pot"
    )
    planned_eur: list[PlannedFunding] = Field(
        default_factory=list,
        description="every cycle's plans summed per funding pot and year",
    )
    measurements: list[Measurement] = Field(
        default_factory=list, description="every numeric finding on an indicator, oldest first"
    )
    programme_id: str | None = Field(
        default=None, description="the programme it is part of, if any"
    )
    moved_at: str | None = Field(
        default=None,
        description="when it last took a step of its cycle (naming its manager or sharing a "
        "lesson is none): what it waits for has waited since then",
    )


class StartedExperiment(Experiment):
    decision_id: str
    position: int = Field(description="the start's position in the log (see min_position)")


class ExperimentAsOf(Experiment):
    as_of: str = Field(description="the moment asked for")


class DecisionAnswer(Answer):
    decision_id: str
    experiment: Experiment
    position: int = Field(description="the decision's position in the log (see min_position)")


class Actor(Answer):
    id: str
    role: str
    name: str


class HistoryEntry(Answer):
    decision_id: str
    type: str
    cycle: int
    stage: str = Field(description="the stage in which it was taken")
    actor: Actor
    rationale: str
    payload: dict[str, Any]
    source: str = Field(description="api, webhook:<integration> or timer")
    at: str
    position: int


class Ballot(Answer):
    voter: str = Field(description="the voter's pseudonymous id, or meeting-N for a meeting")
    vote: str = Field(description="endorse or object (a meeting: by its majority)")
    actor: Actor | None
    at: str
    decision_id: str
    comment: str | None = Field(description="the resident's comment, as the history shows it")
    standing: bool = Field(description="false when a later vote of the same voter replaced it")
    meeting: dict[str, Any] | None = Field(
        default=None, description="a meeting's held_on, for, against, abstain, attendees"
    )
    evidence: list[str] | None = None


class EndorsementRoundRecord(EndorsementRound):
    cycle: int
    ballots: list[Ballot]


class Action(Answer):
    experiment_id: str
    title: str
    neighbourhood: Neighbourhood
    awaited: str = Field(description="the decision type the experiment waits for")
    from_: str = Field(alias="from", description="the role it is awaited from")
    since: str = Field(description="when the experiment last changed: the wait began then")
    overdue: bool
    owner: str | None = Field(description="the responsible programme manager (person id)")


class Lesson(Answer):
    experiment_id: str
    experiment_title: str
    municipality: str
    neighbourhood_code: str
    cycle: int
    decision_id: str
    text: str
    erased: bool
    themes: list[str]
    at: str
    position: int


class SupportingFinding(Answer):
    decision_id: str
    source: str | None
    indicator: str | None
    value: str | None
    cycle: int
    at: str
    text: str | None = Field(description="null when the finding is a person's own words")


class PublicNeighbourhood(Answer):
    code: str
    name: str


class PublicExperiment(Answer):
    id: str
    url: str = Field(description="its public summary, a path on this server (no sign-in)")
    title: str
    municipality: str
    neighbourhood: PublicNeighbourhood
    themes: list[str]
    cycle: int = Field(description="the experiment's current cycle")


class PublishedLesson(Answer):
    experiment_id: str
    lesson_id: str = Field(description="the decision id of the lesson")
    municipality: str
    text: str | None = Field(description="null when its author was erased")
    erased: bool
    evidence_level: str = Field(description="described, substantiated or effective")
    conditions: str | None
    themes: list[str]
    cycle: int
    learnt_at: str
    published_at: str
    first_published_at: str
    position: int
    supporting: list[SupportingFinding]
    experiment: PublicExperiment | None = None


class Licence(Answer):
    name: str
    url: str


class OpenLessons(Answer):
    items: list[PublishedLesson]
    next_cursor: str | None
    licence: Licence


class PublicSummary(PublicExperiment):
    lessons: list[PublishedLesson]
    licence: Licence


class RegisterFigure(Answer):
    key: str = Field(description="CBS's key, e.g. AantalInwoners")
    label: str
    value: float
    unit: str | None
    year: int
    source: str


class RegisteredNeighbourhood(Answer):
    code: str = Field(description="the CBS code: GM…, WK… or BU…")
    name: str
    kind: str = Field(description="gemeente, wijk or buurt")
    municipality: str
    figures: list[RegisterFigure] = Field(description="key figures, latest year first")


class Period(Answer):
    from_year: int
    to_year: int


class Allocation(Answer):
    source: str
    year: int
    amount_eur: str


class ProgrammeSummary(Answer):
    id: str
    municipality: str
    name: str
    description: str
    neighbourhoods: list[str]
    period: Period
    funding: list[Allocation]
    allocated_eur: list[Allocation] = Field(description="allocated, summed per pot and year")
    status: str = Field(description="active or closed")
    reports_due: list[int] = Field(description="the years whose council report fell due")
    created_at: str
    updated_at: str
    version: int


class ProgrammeFunding(Answer):
    source: str
    year: int
    allocated_eur: str
    planned_eur: str = Field(description="what its experiments planned, every cycle's plan")


class ProgrammeExperiment(Answer):
    id: str
    title: str
    neighbourhood: PublicNeighbourhood
    stage: str
    status: str


class ProgrammeIndicator(Answer):
    experiment_id: str
    experiment_title: str
    neighbourhood_code: str
    name: str
    unit: str | None
    progress: float | None
    divergence: Divergence | None


class Programme(ProgrammeSummary):
    experiments: list[ProgrammeExperiment]
    experiments_by_stage: dict[str, int]
    funding_by_year: list[ProgrammeFunding]
    indicators: list[ProgrammeIndicator]


class ProgrammeHistoryEntry(Answer):
    decision_id: str
    type: str
    actor: dict[str, Any]
    rationale: str
    payload: dict[str, Any]
    at: str
    position: int


class NeighbourhoodSummary(Answer):
    municipality: str
    code: str
    name: str
    kind: str
    stages: dict[str, int] = Field(description="active experiments by stage")
    closed: int
    budget: dict[str, str] = Field(description="planned euros by funding source")


class ThemeSummary(Answer):
    theme: str
    stages: dict[str, int]
    closed: int
    lessons: int


class Person(Answer):
    person_id: str
    municipality: str
    name: str
    contact: str
    created_at: str
    erased_at: str | None


class Invitation(Answer):
    id: str
    municipality: str
    role: str
    person_id: str
    organisation: str | None
    experiment_id: str | None
    language: str
    delivered: str = Field(description='"email" when it was mailed, else "none" (print the letter)')
    created_at: str
    expires_at: str
    used_at: str | None
    revoked_at: str | None
    status: str = Field(description="open, used, expired or revoked")


class InvitationPerson(Answer):
    id: str
    name: str


class NewInvitation(Invitation):
    code: str = Field(description="shown this once; only its hash is kept")
    url: str
    person: InvitationPerson


class Subscription(Answer):
    id: str
    municipality: str
    url: str
    event_types: list[str]
    experiment_id: str | None = Field(description="only this experiment's events, if set")
    status: str = Field(description="active, or disabled (the receiver answered 410 Gone)")
    created_at: str
    rotated_at: str | None
    disabled_at: str | None
    disabled_reason: str | None


class NewSubscription(Subscription):
    secret: str = Field(description="whsec_…, shown this once; kept encrypted")


class DeliveryAttempt(Answer):
    at: str
    status_code: int | None = Field(description="the receiver's answer; null: none came")
    error: str | None
    duration_ms: int


class Delivery(Answer):
    id: str
    webhook_id: str = Field(description="the same on every attempt: receivers deduplicate by it")
    subscription_id: str
    event_type: str
    position: int
    experiment_id: str | None
    status: str = Field(description="pending, delivered, failed, gone or cancelled")
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str | None = Field(description="when the next attempt is due, if one is")
    created_at: str
    finished_at: str | None
    attempt_log: list[DeliveryAttempt]


class AccessRevoked(Answer):
    person_id: str
    keys: int = Field(description="API keys revoked")
    ended: int = Field(description="sessions, invitations and sign-in links ended")


class Erasure(Answer):
    person_id: str
    municipality: str
    erased_at: str
    position: int


class AccessRecord(Answer):
    id: int
    at: str
    key_id: str
    actor_id: str
    role: str
    reader_municipality: str
    municipality: str
    action: str = Field(description="history, export, past_state or people")
    experiment_id: str | None
    detail: dict[str, Any]


class Health(Answer):
    status: str


class Readiness(Answer):
    status: str = Field(description="ready or not_ready")
    checks: dict[str, Any] = Field(description="database, projector (and its lag), temporal")


Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class ErrorDetail(Answer):
    code: str = Field(description="stable, for programs")
    message: str = Field(description="for people")


class ErrorBody(Answer):
    error: ErrorDetail


_ERROR = {"model": ErrorBody}
# The refusals any route of the API may answer, each in the error shape.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_ERROR, "description": "no key, or an unknown or revoked one"},
    403: {**_ERROR, "description": "the role may not do this"},
    404: {**_ERROR, "description": "not found (or another municipality's)"},
    409: {**_ERROR, "description": "refused by the rules (code, stage, allowed)"},
    422: {**_ERROR, "description": "a bad request: the field and the problem"},
    429: {**_ERROR, "description": "too many attempts; see Retry-After"},
    503: {**_ERROR, "description": "a part is away or behind; see Retry-After"},
}


class EvidenceFile(Answer):
    id: str
    experiment_id: str
    title: str
    media_type: str = Field(description="read from the file's content")
    size: int
    sha256: str
    personal: bool = Field(description="a resident's own file, sealed with their key")
    uploaded_at: str
