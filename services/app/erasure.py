"""Erasing a person: their key goes, then the record says so, then the read models follow.

The order matters. The key is deleted first (and the person's API keys revoked, their sessions and open
invitations ended), so
nothing can open their data from that moment
on, wherever it was copied; then the `Erasure` event is recorded, which the projector acts on
to blank what it had opened before. Both steps are idempotent, so an erasure cut short
between them is completed by running it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from domain.errors import PersonNotFound
from domain.people import check_person_id
from services.app.ports import AccessEnder, DecisionRecord, KeyRevoker, PeopleRegistry

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ErasureDone:
    person_id: str
    municipality: str
    erased_at: str
    position: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def erase_person(
    people: PeopleRegistry,
    keys: KeyRevoker,
    experiments: DecisionRecord,
    person_id: str,
    *,
    access: Sequence[AccessEnder],
    erased_by: dict[str, str],
    scope: str | None,
) -> ErasureDone:
    """Erase `person_id`, who must belong to the municipality `scope` (None: any)."""
    person_id = check_person_id(person_id)
    found = people.find(person_id)
    if found is None or (scope is not None and found.municipality != scope):
        raise PersonNotFound(f"person {person_id} does not exist")
    erased = people.forget(person_id, erased_by=erased_by.get("id", ""))
    keys.revoke_person(person_id)
    for way_in in access:
        way_in.end_person(person_id)
    position = experiments.record_erasure(person_id, found.municipality, erased_by)
    log.info("person_erasure_recorded", person_id=person_id, position=position)
    assert erased.erased_at is not None
    return ErasureDone(
        person_id=person_id,
        municipality=found.municipality,
        erased_at=erased.erased_at.isoformat(),
        position=position,
    )


@dataclass(frozen=True)
class AccessRevoked:
    person_id: str
    keys: int
    ended: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def revoke_access(
    people: PeopleRegistry,
    keys: KeyRevoker,
    person_id: str,
    *,
    access: Sequence[AccessEnder],
    scope: str | None,
) -> AccessRevoked:
    """End every way in of a person (their API keys, sessions, invitations, sign-in links)
    without erasing them: a leaver, a lost phone. Their record and data stay."""
    person_id = check_person_id(person_id)
    found = people.find(person_id)
    if found is None or (scope is not None and found.municipality != scope):
        raise PersonNotFound(f"person {person_id} does not exist")
    revoked = keys.revoke_person(person_id)
    ended = sum(way_in.end_person(person_id) for way_in in access)
    log.info("person_access_revoked", person_id=person_id, keys=revoked, ended=ended)
    return AccessRevoked(person_id=person_id, keys=revoked, ended=ended)
