"""A programme: a municipality's long-running neighbourhood approach (a *wijkaanpak*), over
years and several neighbourhoods, funded from several departmental pots — the level above
one experiment that the manifest asks to connect.

Pure: its decisions, checked; its state, folded; the rules that refuse a decision. Like an
experiment it has one writer, its workflow (`workflows.programme`), and every decision is an
event. Each year of its period ends with `report_due`, which the workflow records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.decisions import check_decision_id, check_new_decision_id
from domain.errors import DecisionIdReused, DomainError, InvalidInput, RuleViolation
from domain.values import (
    MAX_SHORT_TEXT,
    Actor,
    BudgetLine,
    Role,
    enum_value,
    fingerprint_of,
    text,
)

# A wijkaanpak runs ten to twenty years; a period longer than this is a mistake.
MAX_YEARS = 30
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_NEIGHBOURHOODS = 200
MAX_FUNDING_LINES = 2000


class ProgrammeDecisionType(StrEnum):
    CREATE = "create_programme"
    REVISE = "revise_programme"
    ALLOCATE_FUNDING = "allocate_funding"
    ADD_NEIGHBOURHOOD = "add_neighbourhood"
    CLOSE = "close_programme"
    # The end of a year of its period: the council's yearly report is due.
    REPORT_DUE = "report_due"


PM = Role.PROGRAMME_MANAGER
ROLES: dict[ProgrammeDecisionType, frozenset[Role]] = {
    ProgrammeDecisionType.CREATE: frozenset({PM}),
    ProgrammeDecisionType.REVISE: frozenset({PM}),
    ProgrammeDecisionType.ALLOCATE_FUNDING: frozenset({PM}),
    ProgrammeDecisionType.ADD_NEIGHBOURHOOD: frozenset({PM}),
    ProgrammeDecisionType.CLOSE: frozenset({PM}),
    ProgrammeDecisionType.REPORT_DUE: frozenset({Role.SYSTEM}),
}

Payload = dict[str, Any]


def _year(value: Any, field_name: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not FIRST_YEAR <= value <= LAST_YEAR
    ):
        raise InvalidInput(
            f"{field_name} must be a year from {FIRST_YEAR} to {LAST_YEAR}", field=field_name
        )
    return value


def _code(value: Any, field_name: str) -> str:
    return text(value, field_name, max_length=40).upper()


def _funding_line(value: Any, field_name: str) -> dict[str, Any]:
    line = BudgetLine.parse(value, field_name)
    year = _year(value.get("year") if isinstance(value, dict) else None, f"{field_name}.year")
    return {"source": line.source, "year": year, "amount_eur": str(line.amount_eur)}


def _period(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise InvalidInput("period must be an object with from_year and to_year", field="period")
    start = _year(value.get("from_year"), "period.from_year")
    end = _year(value.get("to_year"), "period.to_year")
    if end < start:
        raise InvalidInput("the period ends before it begins", field="period.to_year")
    if end - start + 1 > MAX_YEARS:
        raise InvalidInput(f"a programme runs at most {MAX_YEARS} years", field="period.to_year")
    return {"from_year": start, "to_year": end}


def _list(value: Any, field_name: str, most: int) -> list[Any]:
    if not isinstance(value, list) or len(value) > most:
        raise InvalidInput(f"{field_name} must be a list of at most {most}", field=field_name)
    return value


def _create(raw: Payload) -> Payload:
    codes = [
        _code(c, f"neighbourhoods[{i}]")
        for i, c in enumerate(
            _list(raw.get("neighbourhoods"), "neighbourhoods", MAX_NEIGHBOURHOODS)
        )
    ]
    if not codes:
        raise InvalidInput("a programme has at least one neighbourhood", field="neighbourhoods")
    if len(set(codes)) != len(codes):
        raise InvalidInput("each neighbourhood once", field="neighbourhoods")
    period = _period(raw.get("period"))
    funding = [
        _funding_line(line, f"funding[{i}]")
        for i, line in enumerate(_list(raw.get("funding", []), "funding", MAX_FUNDING_LINES))
    ]
    for i, line in enumerate(funding):
        _in_period(line["year"], period, f"funding[{i}].year")
    return {
        "municipality": text(raw.get("municipality"), "municipality", max_length=MAX_SHORT_TEXT),
        "name": text(raw.get("name"), "name", max_length=MAX_SHORT_TEXT),
        "description": text(raw.get("description"), "description"),
        "neighbourhoods": codes,
        "period": period,
        "funding": funding,
    }


def _in_period(year: int, period: dict[str, int], field_name: str) -> None:
    if not period["from_year"] <= year <= period["to_year"]:
        raise InvalidInput(
            f"{year} is outside the programme's period {period['from_year']}-{period['to_year']}",
            field=field_name,
        )


def _revise(raw: Payload) -> Payload:
    body: Payload = {}
    if raw.get("name") is not None:
        body["name"] = text(raw["name"], "name", max_length=MAX_SHORT_TEXT)
    if raw.get("description") is not None:
        body["description"] = text(raw["description"], "description")
    if not body:
        raise InvalidInput("say what changes: name or description", field="name")
    return body


def _allocate(raw: Payload) -> Payload:
    return _funding_line(raw, "funding")


def _add_neighbourhood(raw: Payload) -> Payload:
    return {"code": _code(raw.get("code"), "code")}


def _close(raw: Payload) -> Payload:
    return {}


def _report_due(raw: Payload) -> Payload:
    return {"year": _year(raw.get("year"), "year")}


PARSERS: dict[ProgrammeDecisionType, Callable[[Payload], Payload]] = {
    ProgrammeDecisionType.CREATE: _create,
    ProgrammeDecisionType.REVISE: _revise,
    ProgrammeDecisionType.ALLOCATE_FUNDING: _allocate,
    ProgrammeDecisionType.ADD_NEIGHBOURHOOD: _add_neighbourhood,
    ProgrammeDecisionType.CLOSE: _close,
    ProgrammeDecisionType.REPORT_DUE: _report_due,
}
# A programme's creation says why in its description; the year's end needs no reason.
RATIONALE_OPTIONAL = frozenset({ProgrammeDecisionType.CREATE, ProgrammeDecisionType.REPORT_DUE})


@dataclass(frozen=True, slots=True)
class ProgrammeDecision:
    decision_id: str
    type: ProgrammeDecisionType
    actor: Actor
    rationale: str
    payload: Payload = field(default_factory=dict)

    @classmethod
    def parse(
        cls, *, decision_id: Any, type: Any, actor: Actor, rationale: Any, payload: Any
    ) -> ProgrammeDecision:
        kind = enum_value(ProgrammeDecisionType, type, "type")
        if not isinstance(payload, dict):
            raise InvalidInput("decision fields must be an object", field="payload")
        return cls(
            decision_id=check_decision_id(decision_id),
            type=kind,
            actor=actor,
            rationale=text(
                rationale, "rationale", required=kind is not ProgrammeDecisionType.CREATE
            )
            if rationale is not None or kind is not ProgrammeDecisionType.CREATE
            else "",
            payload=PARSERS[kind](payload),
        )

    @staticmethod
    def new_id(value: Any) -> str:
        return check_new_decision_id(value)

    def fingerprint(self) -> str:
        return fingerprint_of(self.type.value, self.payload)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "type": self.type.value,
            "actor": self.actor.to_dict(),
            "rationale": self.rationale,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgrammeDecision:
        actor = data["actor"]
        return cls(
            decision_id=data["decision_id"],
            type=ProgrammeDecisionType(data["type"]),
            actor=Actor.from_dict(actor),
            rationale=data["rationale"],
            payload=data.get("payload", {}),
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    source: str
    year: int
    amount_eur: Decimal


@dataclass(frozen=True)
class ProgrammeState:
    id: str
    municipality: str
    name: str
    description: str
    neighbourhoods: tuple[str, ...]
    from_year: int
    to_year: int
    funding: tuple[Allocation, ...]
    created_at: datetime
    updated_at: datetime
    version: int
    closed: bool = False
    reports_due: tuple[int, ...] = ()

    @property
    def years(self) -> range:
        return range(self.from_year, self.to_year + 1)

    def allocated(self) -> list[dict[str, Any]]:
        """Funding allocated, summed per pot and year."""
        sums: dict[tuple[int, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
        for line in self.funding:
            sums[(line.year, line.source)] += line.amount_eur
        return [
            {"source": source, "year": year, "amount_eur": str(amount)}
            for (year, source), amount in sorted(sums.items())
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "municipality": self.municipality,
            "name": self.name,
            "description": self.description,
            "neighbourhoods": list(self.neighbourhoods),
            "period": {"from_year": self.from_year, "to_year": self.to_year},
            "funding": [
                {"source": a.source, "year": a.year, "amount_eur": str(a.amount_eur)}
                for a in self.funding
            ],
            "allocated_eur": self.allocated(),
            "status": "closed" if self.closed else "active",
            "reports_due": list(self.reports_due),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgrammeState:
        return cls(
            id=data["id"],
            municipality=data["municipality"],
            name=data["name"],
            description=data["description"],
            neighbourhoods=tuple(data["neighbourhoods"]),
            from_year=data["period"]["from_year"],
            to_year=data["period"]["to_year"],
            funding=tuple(
                Allocation(a["source"], a["year"], Decimal(a["amount_eur"]))
                for a in data.get("funding", ())
            ),
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            version=data.get("version", 1),
            closed=data.get("status") == "closed",
            reports_due=tuple(data.get("reports_due", ())),
        )


AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def report_due_at(year: int) -> datetime:
    """When a year's report falls due: the moment the year ends in the Netherlands."""
    return datetime(year + 1, 1, 1, tzinfo=AMSTERDAM).astimezone(UTC)


def begin(programme_id: str, p: Payload, *, at: datetime) -> ProgrammeState:
    return ProgrammeState(
        id=programme_id,
        municipality=p["municipality"],
        name=p["name"],
        description=p["description"],
        neighbourhoods=tuple(p["neighbourhoods"]),
        from_year=p["period"]["from_year"],
        to_year=p["period"]["to_year"],
        funding=tuple(
            Allocation(f["source"], f["year"], Decimal(f["amount_eur"])) for f in p["funding"]
        ),
        created_at=at,
        updated_at=at,
        version=1,
    )


def evolve(
    state: ProgrammeState, kind: ProgrammeDecisionType, p: Payload, *, at: datetime
) -> ProgrammeState:
    """The state after an allowed decision (`refusal` said None)."""
    match kind:
        case ProgrammeDecisionType.REVISE:
            changed = replace(state, **p)
        case ProgrammeDecisionType.ALLOCATE_FUNDING:
            line = Allocation(p["source"], p["year"], Decimal(p["amount_eur"]))
            changed = replace(state, funding=(*state.funding, line))
        case ProgrammeDecisionType.ADD_NEIGHBOURHOOD:
            changed = replace(state, neighbourhoods=(*state.neighbourhoods, p["code"]))
        case ProgrammeDecisionType.CLOSE:
            changed = replace(state, closed=True)
        case ProgrammeDecisionType.REPORT_DUE:
            changed = replace(state, reports_due=(*state.reports_due, p["year"]))
        case _:
            raise ValueError(f"{kind} begins a programme; use begin()")
    return replace(changed, updated_at=at, version=state.version + 1)


def refusal(state: ProgrammeState | None, decision: ProgrammeDecision) -> RuleViolation | None:
    """Why `decision` cannot be taken now, or None."""
    kind = decision.type

    def refused(code: str, message: str) -> RuleViolation:
        allowed = (
            []
            if state is None or state.closed
            else sorted(
                k.value
                for k, roles in ROLES.items()
                if decision.actor.role in roles and k is not ProgrammeDecisionType.CREATE
            )
        )
        return RuleViolation(code, message, stage=None, allowed=allowed)

    if decision.actor.role not in ROLES[kind]:
        return RuleViolation(
            "role_not_allowed",
            f"a {decision.actor.role.value} may not take a {kind.value} decision",
            stage=None,
            allowed=[],
        )
    if state is None:
        return (
            None
            if kind is ProgrammeDecisionType.CREATE
            else refused("not_started", "the programme does not exist")
        )
    if kind is ProgrammeDecisionType.CREATE:
        return refused("already_started", "the programme already exists")
    if state.closed:
        return refused("programme_closed", "the programme was closed")
    p = decision.payload
    if kind is ProgrammeDecisionType.ALLOCATE_FUNDING and p["year"] not in state.years:
        return refused(
            "year_outside_period",
            f"{p['year']} is outside the programme's period {state.from_year}-{state.to_year}",
        )
    if kind is ProgrammeDecisionType.ADD_NEIGHBOURHOOD and p["code"] in state.neighbourhoods:
        return refused("already_in_programme", f"{p['code']} is in the programme already")
    if kind is ProgrammeDecisionType.REPORT_DUE and (
        p["year"] not in state.years or p["year"] in state.reports_due
    ):
        return refused("already_recorded", f"the report of {p['year']} is not due (again)")
    return None


class UnknownProgramme(InvalidInput):
    """An experiment started in a programme that is not its municipality's (or none)."""

    code = "unknown_programme"


class NeighbourhoodNotInProgramme(InvalidInput):
    code = "neighbourhood_not_in_programme"


class ProgrammeNotFound(DomainError):
    code = "not_found"


@dataclass
class ProgrammeAnswer:
    """What a programme decision answers, just taken or repeated; plain JSON values, as it
    crosses Temporal's data converter."""

    decision_id: str
    programme: dict[str, Any]
    position: int
    repeated: bool = False
    fingerprint: str = ""


def check_repeat(first_fingerprint: str, decision: ProgrammeDecision) -> None:
    if first_fingerprint and first_fingerprint != decision.fingerprint():
        raise DecisionIdReused(
            f"decision id {decision.decision_id!r} was already used for a different decision"
        )


def check(state: ProgrammeState | None, decision: ProgrammeDecision) -> None:
    found = refusal(state, decision)
    if found is not None:
        raise found
