"""Value types of the learning-cycle domain.

Enums are `StrEnum`s so that their values are the slugs the HTTP contract and the stored
events use; nothing needs a translation table between the wire and the domain.

Longer than 200 lines: it is the domain's small types side by side (each a few lines with
its own check), not one that has grown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Indicator:
    name: str
    target: str

    @classmethod
    def parse(cls, value: Any, field: str) -> Indicator:
        if not isinstance(value, dict):
            raise InvalidInput(f"{field} must be an object with name and target", field=field)
        target = value.get("target")
        if isinstance(target, bool) or not isinstance(target, str | int | float):
            raise InvalidInput(f"{field}.target must be a string or a number", field=field)
        return cls(
            name=text(value.get("name"), f"{field}.name", max_length=MAX_SHORT_TEXT),
            target=text(str(target), f"{field}.target", max_length=MAX_SHORT_TEXT),
        )

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "target": self.target}


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


TIMER_ACTOR = Actor(id="timer", role=Role.SYSTEM, name="wijklab timer")
