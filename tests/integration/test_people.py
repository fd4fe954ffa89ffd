"""The people registry on a real PostgreSQL: one person per name and contact, even at once;
erasure takes the key and the profile."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

from services.infra.crypto import seal
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.stores.people import People


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
