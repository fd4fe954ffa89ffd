"""The people registry on a real PostgreSQL: one person per name and contact, even at once;
erasure takes the key and the profile."""

from __future__ import annotations

import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from services.infra.crypto import seal
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.stores.people import Claim, People


def test_naming_the_same_person_at_once_registers_one(database: Database) -> None:
    migrate(database)
    people = People(database, secrets.token_bytes(32))
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: people.mention("utrecht", "Ans Bakker", "06-1"), range(16)))
    assert len(ids) == 1
    assert people.mention("utrecht", " ans bakker ", "06-1") in ids, "names compare loosely"
    assert people.mention("zwolle", "Ans Bakker", "06-1") not in ids, "per municipality"
    with database.connect() as conn:
        keys = conn.execute(f"SELECT count(*) FROM {database.schema}.person_keys").fetchone()
    assert keys == (2,), "no orphan keys from the lost races"


def test_forgetting_takes_key_profile_and_lookup(database: Database) -> None:
    migrate(database)
    people = People(database, secrets.token_bytes(32))
    person_id = people.mention("utrecht", "Kees", "kees@example.org")
    key = people.key_of(person_id)
    assert key is not None
    sealed = seal(key, person_id, "mijn verhaal")
    forgotten = people.forget(person_id, erased_by="admin")
    assert forgotten.erased_at is not None
    assert (forgotten.name, forgotten.contact) == ("", "")
    assert people.key_of(person_id) is None
    assert people.forget(person_id, erased_by="admin").erased_at == forgotten.erased_at
    # Naming them again is a new person: the old data stays unreadable.
    assert people.mention("utrecht", "Kees", "kees@example.org") != person_id
    assert "mijn verhaal" not in sealed


def _claim() -> Claim:
    return Claim(uuid.uuid4(), f"d-{uuid.uuid4().hex[:8]}")


def test_a_person_named_by_a_refused_decision_is_deleted_with_their_key(
    database: Database,
) -> None:
    migrate(database)
    people = People(database, secrets.token_bytes(32))
    refused = _claim()
    person_id = people.mention("utrecht", "Bram", "bram@example.org", claim=refused)
    assert people.key_of(person_id) is not None
    assert people.settle(refused, accepted=False) == [person_id]
    assert people.key_of(person_id) is None
    assert people.find(person_id) is None
    assert people.settle(refused, accepted=False) == [], "settling twice changes nothing"


def test_a_person_another_decision_holds_or_accepted_stays(database: Database) -> None:
    migrate(database)
    people = People(database, secrets.token_bytes(32))
    first, second = _claim(), _claim()
    person_id = people.mention("utrecht", "Lotte", "06-2", claim=first)
    assert people.mention("utrecht", "Lotte", "06-2", claim=second) == person_id
    assert people.settle(first, accepted=False) == [], "the second decision still holds them"
    people.settle(second, accepted=True)
    third = _claim()
    assert people.mention("utrecht", "Lotte", "06-2", claim=third) == person_id
    assert people.settle(third, accepted=False) == [], "confirmed people stay"
    assert people.find(person_id) is not None
    # A key made for the person confirms them without a claim.
    fourth = _claim()
    other = people.mention("utrecht", "Mo", "06-3", claim=fourth)
    assert people.mention("utrecht", "Mo", "06-3") == other
    assert people.settle(fourth, accepted=False) == []


def test_refusing_and_naming_at_once_never_loses_a_held_person(database: Database) -> None:
    """A refusal deleting a person races a decision naming them: whichever wins, the
    decision that goes on to be accepted has a person whose key exists."""
    migrate(database)
    people = People(database, secrets.token_bytes(32))

    def race(round: int) -> bool:
        refused, accepted = _claim(), _claim()
        name = f"Race {round}"
        people.mention("utrecht", name, "", claim=refused)
        with ThreadPoolExecutor(2) as pool:
            settled = pool.submit(people.settle, refused, accepted=False)
            held = pool.submit(people.mention, "utrecht", name, "", claim=accepted)
            settled.result()
            person_id = held.result()
        people.settle(accepted, accepted=True)
        return people.key_of(person_id) is not None and people.find(person_id) is not None

    assert all(race(i) for i in range(40))


def test_stale_claims_are_listed_by_age(database: Database) -> None:
    migrate(database)
    people = People(database, secrets.token_bytes(32))
    claim = _claim()
    people.mention("utrecht", "Iris", "", claim=claim)
    assert claim not in people.stale_claims(timedelta(minutes=15))
    assert claim in people.stale_claims(timedelta(0))
