"""Sealing a decision before it is stored or sent: personal data sealed, people as ids.

The actor's name is sealed with their key. A named person is found or registered, and the
decision's own account (`PERSONAL_TEXT_FIELDS`) is sealed with the key of the person whose
words it is, when it is personal (by default for residents).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import structlog

from domain.decisions import Decision
from domain.errors import InvalidInput, PersonErased
from domain.people import (
    HUMAN_ROLES,
    MENTIONS_PERSON,
    PERSON_PREFIX,
    PERSONAL_TEXT_FIELDS,
    check_person_id,
    personal_by_default,
    sealed_paths,
)
from domain.values import Actor
from services.app.ports import PeopleDirectory
from services.infra.crypto import CURRENT, Scheme, seal
from services.stores.people import Claim

log = structlog.get_logger(__name__)


class Sealing:
    """Seals decisions with the keys of the people they concern."""

    def __init__(self, people: PeopleDirectory) -> None:
        self.people = people

    def seal_decision(
        self,
        decision: Decision,
        municipality: str,
        known_keys: Mapping[str, bytes] | None = None,
        scheme: Scheme = CURRENT,
        *,
        claim: Claim | None = None,
    ) -> Decision:
        """The decision as it may be stored and sent: personal data sealed, people as ids.

        The actor's name is sealed with their key. A named person is found or registered
        (held by `claim` until the decision is settled), and the decision's own account
        (`PERSONAL_TEXT_FIELDS`) is sealed with the key of the person whose words it is, when
        it is personal (by default for residents).
        """
        if sealed_paths({}, decision.payload):
            raise InvalidInput("values of the form sealed:… are wijklab's own", field="payload")
        seal_for = _Sealer(self.people, known_keys, scheme)
        actor = decision.actor
        payload = dict(decision.payload)
        owner = _person_of(actor)
        if owner is not None and actor.name:
            actor = replace(actor, name=seal_for(owner, actor.name))
        kind = decision.type.value
        person = payload.get("person")
        if kind in MENTIONS_PERSON and isinstance(person, dict):
            mentioned = self._resolve(person, municipality, seal_for, claim)
            payload["person"] = mentioned
            owner = mentioned["id"]
        explicit = payload.get("personal")
        personal = (
            explicit
            if explicit is not None
            else personal_by_default(actor.role, isinstance(person, dict))
        )
        if personal and owner is None:
            if explicit:
                raise InvalidInput(
                    "a personal account needs a person: name them in `person`", field="person"
                )
            personal = False  # no person to tie it to (an older key): stored as given
        if kind in PERSONAL_TEXT_FIELDS:
            payload["personal"] = personal
        if personal and owner is not None:
            for field in PERSONAL_TEXT_FIELDS.get(kind, ()):
                value = payload.get(field)
                if isinstance(value, str) and value:
                    payload[field] = seal_for(owner, value)
        return replace(decision, actor=actor, payload=payload)

    def seal_actor(self, actor: Actor, scheme: Scheme = CURRENT) -> Actor:
        """The actor as it may be stored: a person's name sealed with their key (a programme's
        decisions name no one else, and say nothing personal of their own)."""
        owner = _person_of(actor)
        if owner is None or not actor.name:
            return actor
        return replace(actor, name=_Sealer(self.people, scheme=scheme)(owner, actor.name))

    @staticmethod
    def seals_offline(decision: Decision, known_keys: Mapping[str, bytes]) -> bool:
        """Whether `seal_decision` needs nothing but these keys: no person named, and the
        actor a person whose key is known (or no person at all). Then it is pure
        computation, and need not leave the caller's thread."""
        if decision.type.value in MENTIONS_PERSON and isinstance(
            decision.payload.get("person"), dict
        ):
            return False
        person = _person_of(decision.actor)
        return person is None or person in known_keys

    @staticmethod
    def names_someone(decision: Decision) -> bool:
        """Whether sealing may register a person: someone named by name, not by id."""
        person = decision.payload.get("person")
        return (
            decision.type.value in MENTIONS_PERSON
            and isinstance(person, dict)
            and "id" not in person
        )

    def settle(self, claim: Claim, *, accepted: bool) -> None:
        """The decision that named people was accepted (keep them) or refused (drop those
        nothing else refers to): personal data is kept only for a decision that stands."""
        gone = self.people.settle(claim, accepted=accepted)
        if gone:
            log.info("named_people_released", count=len(gone), decision_id=claim.decision_id)

    def _resolve(
        self, person: dict[str, Any], municipality: str, seal_for: _Sealer, claim: Claim | None
    ) -> dict[str, str]:
        if "id" in person:
            person_id = check_person_id(person["id"])
            found = self.people.find(person_id)
            if found is None or found.municipality != municipality:
                raise InvalidInput(f"person {person_id} does not exist", field="person")
            if found.erased_at is not None:
                raise PersonErased(f"person {person_id} was erased and cannot be named again")
            name, contact = found.name, found.contact
        else:
            name, contact = person["name"], person.get("contact", "")
            person_id = self.people.mention(municipality, name, contact, claim=claim)
        sealed = {"id": person_id, "name": seal_for(person_id, name)}
        if contact:
            sealed["contact"] = seal_for(person_id, contact)
        return sealed


class _Sealer:
    """Seals for one decision, looking each person's key up once."""

    def __init__(
        self,
        people: PeopleDirectory,
        known_keys: Mapping[str, bytes] | None = None,
        scheme: Scheme = CURRENT,
    ) -> None:
        self.people = people
        self.keys: dict[str, bytes] = dict(known_keys or {})
        self.scheme = scheme

    def __call__(self, person_id: str, plain: str) -> str:
        if person_id not in self.keys:
            key = self.people.key_of(person_id)
            if key is None:
                raise PersonErased(f"person {person_id} was erased")
            self.keys[person_id] = key
        return seal(self.keys[person_id], person_id, plain, self.scheme)


def _person_of(actor: Actor) -> str | None:
    """The person an actor is, when it is one (not an integration, the timer or an older key)."""
    return actor.id if actor.role in HUMAN_ROLES and actor.id.startswith(PERSON_PREFIX) else None
