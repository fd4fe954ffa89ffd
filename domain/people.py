"""People in decisions: pseudonymous ids in the record, their personal data sealed per person.

The event store never forgets, and the AVG gives residents the right to be forgotten. So a
person's name, contact and own words never enter an event in the clear: they are sealed with
a key that belongs to that person alone (crypto-shredding). Erasing a person deletes the key;
every copy of their data, in every event, backup of the event store and workflow history,
becomes unreadable at once, while the decisions themselves (role, moment, reason, order) stay.

This module is the pure part: which fields are personal, how a sealed value is recognised,
and the `Erasure` record. The cryptography lives in `services.stores.people`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput
from domain.values import MAX_SHORT_TEXT, SEALED_VALUE, Role, text

PERSON_PREFIX = "prs_"
_PERSON_ID = re.compile(r"^prs_[0-9a-f]{32}$")
# Every sealed value starts so, whatever its scheme: one cheap test before any pattern.
SEALED_PREFIX = "sealed:"
_SEALED = SEALED_VALUE

# Shown in place of an erased person's data.
ERASED_LABEL = {"nl": "gewiste persoon", "en": "erased person"}

# Roles held by people (as opposed to integrations and the timer).
HUMAN_ROLES = frozenset(
    {Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.EVALUATOR, Role.ADMIN, Role.PARTNER}
)

# The free-text fields that carry a person's own account: their experiential knowledge. A
# decision's rationale is not among them: it is the "why" evaluators must keep, so it is
# written without personal details (the privacy guide says so to the people who write it).
PERSONAL_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "record_finding": ("text",),
    "record_lesson": ("text",),
    # A resident's comment on their vote.
    "endorse": ("text",),
    "object": ("text",),
}

# Decisions that may name the person whose words or endorsement they record.
MENTIONS_PERSON = frozenset({"record_finding", "record_lesson", "endorse_plan"})

# Namespace of the ids of erasure records: one per person, so erasing twice records once.
ERASURE_NAMESPACE = uuid.UUID("b1f0c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d")


def is_person_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_PERSON_ID.match(value))


def check_person_id(value: Any) -> str:
    if not is_person_id(value):
        raise InvalidInput("a person id looks like prs_ followed by 32 hex digits", field="person")
    return str(value)


def sealed_owner(value: Any) -> str | None:
    """The person a sealed value belongs to, or None for anything else."""
    if isinstance(value, str) and value.startswith(SEALED_PREFIX):
        found = _SEALED.match(value)
        return found.group(2) if found else None
    return None


def sealed_scheme(value: str) -> str:
    """How a sealed value was sealed (`v1`, `v2`)."""
    found = _SEALED.match(value)
    if found is None:
        raise ValueError("not a sealed value")
    return found.group(1)


def sealed_body(value: str) -> str:
    found = _SEALED.match(value)
    if found is None:
        raise ValueError("not a sealed value")
    return found.group(3)


def personal_by_default(role: Role, mentioned: bool) -> bool:
    """Residents' own accounts are personal unless they say otherwise (privacy by default)."""
    return mentioned or role is Role.RESIDENT


def parse_person(value: Any) -> dict[str, str] | None:
    """A person named in a decision: `{"id": "prs_…"}` or `{"name": …, "contact"?: …}`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("person must be an object with an id, or a name", field="person")
    if "id" in value:
        person = {"id": check_person_id(value["id"])}
        for key in ("name", "contact"):
            if key in value:  # only as sealed for that very person (a decision in flight)
                if sealed_owner(value[key]) != person["id"]:
                    raise InvalidInput(
                        "name a person either by id or by name and contact", field="person"
                    )
                person[key] = value[key]
        return person
    return {
        "name": text(value.get("name"), "person.name", max_length=MAX_SHORT_TEXT),
        "contact": text(
            value.get("contact"), "person.contact", max_length=MAX_SHORT_TEXT, required=False
        ),
    }


def sealed_paths(actor: dict[str, Any], payload: dict[str, Any]) -> list[tuple[str, str]]:
    """Every sealed value of a decision as (path, owner): what a reader must open or blank.

    Asked of every event a projector folds, and most hold nothing sealed: a list, not a
    generator, and one prefix test before any pattern is matched.
    """
    found: list[tuple[str, str]] = []
    name = actor.get("name")
    if isinstance(name, str) and name.startswith(SEALED_PREFIX):
        owner = sealed_owner(name)
        if owner:
            found.append(("actor.name", owner))
    person = payload.get("person")
    if isinstance(person, dict):
        for key in ("name", "contact"):
            owner = sealed_owner(person.get(key))
            if owner:
                found.append((f"payload.person.{key}", owner))
    text = payload.get("text")
    if isinstance(text, str) and text.startswith(SEALED_PREFIX):
        owner = sealed_owner(text)
        if owner:
            found.append(("payload.text", owner))
    return found


def get_path(actor: dict[str, Any], payload: dict[str, Any], path: str) -> Any:
    node: Any = {"actor": actor, "payload": payload}
    for part in path.split("."):
        node = node[part]
    return node


def set_path(actor: dict[str, Any], payload: dict[str, Any], path: str, value: Any) -> None:
    node: Any = {"actor": actor, "payload": payload}
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    node[last] = value


class Erasure(Aggregate):
    """That a person was erased: by whom (role and pseudonymous id), when, for which town.

    It names no one: it is the event the read models act on to blank the person's data.
    """

    class Recorded(Aggregate.Created):
        person_id: str
        municipality: str
        erased_by: dict[str, str]

    @classmethod
    def record(cls, person_id: str, municipality: str, erased_by: dict[str, str]) -> Erasure:
        return cls._create(
            cls.Recorded,
            id=erasure_id(person_id),
            person_id=check_person_id(person_id),
            municipality=municipality,
            erased_by=erased_by,
        )

    def __init__(self, person_id: str, municipality: str, erased_by: dict[str, str]) -> None:
        self.person_id = person_id
        self.municipality = municipality
        self.erased_by = erased_by


def erasure_id(person_id: str) -> uuid.UUID:
    return uuid.uuid5(ERASURE_NAMESPACE, person_id)
