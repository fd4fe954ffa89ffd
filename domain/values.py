"""Value types of the learning-cycle domain.

Enums are `StrEnum`s so that their values are the slugs the HTTP contract and the stored
events use; nothing needs a translation table between the wire and the domain.

Longer than 200 lines: it is the domain's small types side by side (each a few lines with
its own check), not one that has grown.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


class Stage(StrEnum):
    PLAN = "plan"
    ACT = "act"
    EVALUATE = "evaluate"
    LEARN = "learn"


class Status(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Outcome(StrEnum):
    ADOPTED = "adopted"
    SCALED = "scaled"
    STOPPED = "stopped"


class Role(StrEnum):
    PROGRAMME_MANAGER = "programme_manager"
    RESIDENT = "resident"
    EVALUATOR = "evaluator"
    INTEGRATION = "integration"
    ADMIN = "admin"
    # A professional of a partner organisation (housing corporation, welfare, police,
    # school): reads the municipality's experiments, records findings from professionals.
    PARTNER = "partner"
    # The workflow itself, for the decisions its timers take.
    SYSTEM = "system"


class FindingSource(StrEnum):
    RESIDENTS = "residents"
    PROFESSIONALS = "professionals"
    DATA = "data"


class NeighbourhoodKind(StrEnum):
    WIJK = "wijk"
    BUURT = "buurt"
    KERN = "kern"
    DORP = "dorp"


class Theme(StrEnum):
    """The perspective domains of the manifest, plus the energy and physical agendas."""

    UPBRINGING = "upbringing"
    EDUCATION = "education"
    SOCIAL_FUNCTIONING = "social_functioning"
    WORK_INCOME = "work_income"
    HEALTH = "health"
    HOUSING = "housing"
    SAFETY = "safety"
    ENERGY_TRANSITION = "energy_transition"
    PHYSICAL_ENVIRONMENT = "physical_environment"


MAX_TEXT = 20_000
MAX_SHORT_TEXT = 300
# Days after an act period ends before a stage left open is recorded as overdue (a setting;
# this is its default, and what workflows started before the setting existed use).
OVERDUE_GRACE_DAYS = 14


# A value sealed for one person (see `domain.people`): the scheme, their id, then the sealed
# bytes in base64url (`v2`: AES-SIV; `v1`, still readable: nonce and AES-GCM ciphertext).
SEALED_VALUE = re.compile(r"^sealed:(v1|v2):(prs_[0-9a-f]{32}):([A-Za-z0-9_-]+={0,2})$")


def sealed_length(max_length: int) -> int:
    """How long a sealed text of at most `max_length` characters can be (4 bytes a character
    at most in UTF-8, 28 of nonce and tag at most, base64, the prefix)."""
    return (max_length * 4 + 28) * 4 // 3 + 60


def text(value: Any, field: str, *, max_length: int = MAX_TEXT, required: bool = True) -> str:
    """A free-text field: stripped, bounded, and present when required. A sealed value was
    checked in the clear before it was sealed; here its form and size are checked."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", field=field)
    if value.startswith("sealed:") and SEALED_VALUE.match(value):
        if len(value) > sealed_length(max_length):
            raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
        return value
    stripped: str = value.strip()
    if required and not stripped:
        raise InvalidInput(f"{field} is required and may not be empty", field=field)
    if len(stripped) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    if "\x00" in stripped:
        raise InvalidInput(f"{field} may not contain NUL characters", field=field)
    try:
        stripped.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\\ud800" in JSON) is valid JSON but no text: it cannot be stored.
        raise InvalidInput(f"{field} is not valid Unicode text", field=field) from None
    return stripped


# Characters that change the direction of the text after them (bidi controls) or show as
# nothing at all (zero-width spaces and joiners, the byte-order mark): in a name or title
# they make one thing look like another ("Trojan Source"), so names and titles refuse them.
INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def check_visible(value: str, field: str) -> str:
    """A name or title as it looks: no bidi controls, no zero-width characters."""
    if INVISIBLE.search(value):
        raise InvalidInput(
            f"{field} may not contain invisible or direction-changing characters", field=field
        )
    return value


def enum_value(kind: type[E], value: Any, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{field} must be one of: {allowed}", field=field) from None


def themes(value: Any, field: str = "themes", *, required: bool = True) -> tuple[Theme, ...]:
    """A set of themes, in the order given, without repeats."""
    if value is None and not required:
        return ()
    if not isinstance(value, list | tuple) or (required and not value):
        raise InvalidInput(f"{field} must be a non-empty list of themes", field=field)
    seen: dict[Theme, None] = {}
    for item in value:
        seen[enum_value(Theme, item, field)] = None
    return tuple(seen)


# A neighbourhood code: a CBS code (WK034401) or a slug.
NEIGHBOURHOOD_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_CODE = re.compile(NEIGHBOURHOOD_CODE_PATTERN)


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """A wijk, buurt, village core or village; `code` is a CBS code where one exists."""

    code: str
    name: str
    kind: NeighbourhoodKind

    @classmethod
    def parse(cls, value: Any) -> Neighbourhood:
        if not isinstance(value, dict):
            raise InvalidInput("neighbourhood must be an object", field="neighbourhood")
        code = text(value.get("code"), "neighbourhood.code", max_length=64)
        if not _CODE.match(code):
            raise InvalidInput(
                "neighbourhood.code must be a CBS code such as WK098301 or a slug",
                field="neighbourhood.code",
            )
        return cls(
            code=code,
            name=text(value.get("name"), "neighbourhood.name", max_length=MAX_SHORT_TEXT),
            kind=enum_value(NeighbourhoodKind, value.get("kind"), "neighbourhood.kind"),
        )

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "kind": self.kind.value}


class Direction(StrEnum):
    """Which way an indicator should move: up (households reached) or down (complaints)."""

    INCREASE = "increase"
    DECREASE = "decrease"


def fingerprint_of(kind: str, payload: dict[str, Any]) -> str:
    """What a decision asks for, as a hash: the same decision sent again has the same one, so a
    reused decision id can be told from a repeat (experiments' and programmes' alike)."""
    content = json.dumps([kind, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


def number(value: Any, field: str) -> float:
    """A measured number: an int, a float or a numeric string (a Dutch decimal comma too);
    never a boolean, NaN or infinity."""
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a number", field=field)
    if isinstance(value, int | float):
        found = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        found = float(value.strip().replace(",", "."))
    else:
        raise InvalidInput(f"{field} must be a number", field=field)
    if not math.isfinite(found) or abs(found) > MAX_MEASURE:
        raise InvalidInput(
            f"{field} must be a number between -{MAX_MEASURE:.0e} and {MAX_MEASURE:.0e}",
            field=field,
        )
    return found


# Beyond any count, amount or share a neighbourhood measures; numbers past it break formatting.
MAX_MEASURE = 1e15
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def numeric(value: Any) -> float | None:
    """`value` as a number if it is one (a finding's value as stored), else None."""
    try:
        return number(value, "value")
    except InvalidInput:
        return None


@dataclass(frozen=True, slots=True)
class Baseline:
    """Where an indicator started: a value, when it was measured (a date or a year) and where
    the figure comes from (CBS Kerncijfers 2024, the municipality's own survey)."""

    value: float
    at: str
    source: str

    @classmethod
    def parse(cls, raw: Any, field: str) -> Baseline:
        if not isinstance(raw, dict):
            raise InvalidInput(f"{field} must be an object with value, at and source", field=field)
        at = raw.get("at")
        if not isinstance(at, str | int) or isinstance(at, bool) or not _MOMENT.fullmatch(str(at)):
            raise InvalidInput(f"{field}.at must be a date (YYYY-MM-DD) or a year", field=field)
        if len(str(at)) == 10:
            try:
                date.fromisoformat(str(at))
            except ValueError:
                raise InvalidInput(f"{field}.at is not a date", field=field) from None
        return cls(
            value=number(raw.get("value"), f"{field}.value"),
            at=str(at),
            source=text(raw.get("source"), f"{field}.source", max_length=MAX_SHORT_TEXT),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "at": self.at, "source": self.source}


_MOMENT = re.compile(r"(19|20)\d\d(-\d\d-\d\d)?")


@dataclass(frozen=True, slots=True)
class Indicator:
    """What a plan measures itself by. Version 1 said only a name and a target (any text);
    an indicator that measures adds a unit, a baseline and a direction."""

    name: str
    target: str
    unit: str | None = None
    baseline: Baseline | None = None
    direction: Direction | None = None

    @property
    def measures(self) -> bool:
        """Whether its findings must be numbers (it says what it counts or where it began)."""
        return self.unit is not None or self.baseline is not None or self.direction is not None

    @property
    def target_value(self) -> float | None:
        return numeric(self.target)

    @property
    def heading(self) -> Direction | None:
        """The way it should move: as said, or from its baseline towards its target."""
        if self.direction is not None:
            return self.direction
        target = self.target_value
        if self.baseline is None or target is None or target == self.baseline.value:
            return None
        return Direction.INCREASE if target > self.baseline.value else Direction.DECREASE

    @classmethod
    def parse(cls, value: Any, field: str) -> Indicator:
        if not isinstance(value, dict):
            raise InvalidInput(f"{field} must be an object with name and target", field=field)
        target = value.get("target")
        if isinstance(target, bool) or not isinstance(target, str | int | float):
            raise InvalidInput(f"{field}.target must be a string or a number", field=field)
        found = cls(
            name=text(value.get("name"), f"{field}.name", max_length=MAX_SHORT_TEXT),
            target=text(str(target), f"{field}.target", max_length=MAX_SHORT_TEXT),
            unit=None
            if value.get("unit") is None
            else text(value["unit"], f"{field}.unit", max_length=40),
            baseline=None
            if value.get("baseline") is None
            else Baseline.parse(value["baseline"], f"{field}.baseline"),
            direction=None
            if value.get("direction") is None
            else enum_value(Direction, value["direction"], f"{field}.direction"),
        )
        if found.measures and found.target_value is None:
            raise InvalidInput(
                f"{field}.target must be a number when the indicator measures", field=field
            )
        baseline, target_value = found.baseline, found.target_value
        if found.direction is not None and baseline is not None and target_value is not None:
            up = target_value > baseline.value
            if target_value != baseline.value and up != (found.direction is Direction.INCREASE):
                raise InvalidInput(
                    f"{field}.target lies the other way from the baseline than its direction",
                    field=field,
                )
        return found

    def to_dict(self) -> dict[str, Any]:
        """Only what was said: a version-1 indicator stays `{name, target}`."""
        found: dict[str, Any] = {"name": self.name, "target": self.target}
        if self.unit is not None:
            found["unit"] = self.unit
        if self.baseline is not None:
            found["baseline"] = self.baseline.to_dict()
        if self.direction is not None:
            found["direction"] = self.direction.value
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Indicator:
        baseline = data.get("baseline")
        return cls(
            name=data["name"],
            target=data["target"],
            unit=data.get("unit"),
            baseline=None
            if not baseline
            else Baseline(float(baseline["value"]), str(baseline["at"]), baseline["source"]),
            direction=Direction(data["direction"]) if data.get("direction") else None,
        )


MAX_AMOUNT = Decimal("1000000000")


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One funding source's share of a plan: the manifest asks to join the separate pots."""

    source: str
    amount_eur: Decimal

    @classmethod
    def parse(cls, value: Any, field: str) -> BudgetLine:
        if not isinstance(value, dict):
            raise InvalidInput(f"{field} must be an object with source and amount_eur", field=field)
        raw = value.get("amount_eur")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidInput(f"{field}.amount_eur must be a number", field=field)
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            raise InvalidInput(f"{field}.amount_eur must be a number", field=field) from None
        if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
            raise InvalidInput(
                f"{field}.amount_eur must be between 0 and {MAX_AMOUNT}", field=field
            )
        return cls(
            source=text(value.get("source"), f"{field}.source", max_length=MAX_SHORT_TEXT),
            amount_eur=amount.quantize(Decimal("0.01")),
        )

    def to_dict(self) -> dict[str, str]:
        # A string keeps cents exact through JSON, Temporal payloads and the event store.
        return {"source": self.source, "amount_eur": str(self.amount_eur)}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who took a decision: an id (person, key or integration), their role, a display name."""

    id: str
    role: Role
    name: str = ""

    @classmethod
    def parse(cls, value: Any) -> Actor:
        if not isinstance(value, dict):
            raise InvalidInput("actor must be an object", field="actor")
        return cls(
            id=text(value.get("id"), "actor.id", max_length=MAX_SHORT_TEXT),
            role=enum_value(Role, value.get("role"), "actor.role"),
            name=text(value.get("name"), "actor.name", max_length=MAX_SHORT_TEXT, required=False),
        )

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role.value, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        """Trusting constructor for an actor already checked once (stored or in flight)."""
        return cls(id=data["id"], role=Role(data["role"]), name=data.get("name", ""))


TIMER_ACTOR = Actor(id="timer", role=Role.SYSTEM, name="wijklab timer")
