"""The people registry and their keys: who the pseudonymous ids are, until erased.

Each person has a random 256-bit key in `person_keys`, a table of its own: erasing the person
deletes that row, and everything sealed with it (`services.infra.crypto`) is unreadable from
then on, wherever it was copied.

Longer than 200 lines, and whole on purpose: the two tables (people and their keys) change
together in every write, and one store owns both.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from psycopg import Connection, Cursor, sql
from psycopg.rows import dict_row

from domain.errors import PersonNotFound
from domain.people import PERSON_PREFIX
from services.infra.crypto import Keyring, new_key, seal
from services.infra.postgres import Connect, Database

KEYS_TABLE = "person_keys"
PEOPLE_TABLE = "people"
CLAIMS_TABLE = "person_claims"


@dataclass(frozen=True)
class Claim:
    """A decision that named a person and is not yet known to be accepted."""

    experiment_id: UUID
    decision_id: str


class _AlreadyRegistered(Exception):
    """Another request registered the same named person first."""


def new_person_id() -> str:
    return PERSON_PREFIX + secrets.token_hex(16)


def keys_table(base: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(base), sql.Identifier(KEYS_TABLE))


def load_keyring(cursor: Cursor[Any], base: str, person_ids: Iterable[str]) -> Keyring:
    """The keys of these people, read with a dict-row cursor (the read models' own)."""
    ids = sorted(set(person_ids))
    if not ids:
        return Keyring({})
    cursor.execute(
        sql.SQL("SELECT person_id, key FROM {} WHERE person_id = ANY(%s)").format(keys_table(base)),
        (ids,),
    )
    return Keyring({r["person_id"]: bytes(r["key"]) for r in cursor.fetchall()})


def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


@dataclass(frozen=True)
class Person:
    person_id: str
    municipality: str
    name: str
    contact: str
    created_at: datetime
    erased_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "municipality": self.municipality,
            "name": self.name,
            "contact": self.contact,
            "created_at": self.created_at.isoformat(),
            "erased_at": self.erased_at.isoformat() if self.erased_at else None,
        }


class People:
    """Who the pseudonymous ids in the record are, for as long as they are not erased."""

    def __init__(
        self, database: Database, lookup_key: bytes | None = None, connect: Connect | None = None
    ) -> None:
        self.database = database
        self.base = database.schema
        self.people = sql.Identifier(database.schema, PEOPLE_TABLE)
        self.keys = sql.Identifier(database.schema, KEYS_TABLE)
        self.claims = sql.Identifier(database.schema, CLAIMS_TABLE)
        # Keyed hash of a mentioned person's name and contact, to find them again without
        # storing either in the clear; blanked on erasure.
        self.lookup_key = lookup_key
        self.connect = database.connector(connect)

    def register(
        self,
        municipality: str,
        name: str,
        contact: str = "",
        *,
        lookup: str | None = None,
        claim: Claim | None = None,
    ) -> str:
        """A new person with their own key; their name and contact sealed with it. With a
        claim they stay unconfirmed until the claiming decision is settled."""
        person_id = new_person_id()
        key = new_key()
        profile = seal(key, person_id, orjson.dumps({"name": name, "contact": contact}).decode())
        with self.connect() as conn, conn.transaction():
            conn.execute(
                sql.SQL("INSERT INTO {} (person_id, key) VALUES (%s, %s)").format(self.keys),
                (person_id, key),
            )
            added = conn.execute(
                sql.SQL(
                    "INSERT INTO {} (person_id, municipality, profile, lookup, confirmed) "
                    "VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (lookup) DO NOTHING RETURNING person_id"
                ).format(self.people),
                (person_id, municipality, profile, lookup, claim is None),
            ).fetchone()
            if added is None:
                raise _AlreadyRegistered  # rolls back the key as well
            if claim is not None:
                self._claim(conn, person_id, claim)
        return person_id

    def mention(
        self, municipality: str, name: str, contact: str, *, claim: Claim | None = None
    ) -> str:
        """The person named by name (and contact) in this municipality: found again, or
        registered. Keys for a person with a contact come here too (without a claim: the key
        refers to them), so a resident named in a finding by name and contact is the same
        person as the one holding that key. A decision naming someone passes its `claim`:
        a person it registers is kept only if that decision is accepted (`settle`)."""
        if self.lookup_key is None:
            raise RuntimeError("naming people needs the lookup key (from WIJKLAB_SECRET_KEY)")
        lookup = hmac.new(
            self.lookup_key,
            f"{municipality}\x1f{_normalised(name)}\x1f{_normalised(contact)}".encode(),
            hashlib.sha256,
        ).hexdigest()
        for _ in range(3):
            found = self._hold(lookup, claim)
            if found is not None:
                return found
            try:
                return self.register(municipality, name, contact, lookup=lookup, claim=claim)
            except _AlreadyRegistered:  # someone registered the same person a moment earlier
                continue
        raise RuntimeError("the same person was registered and released again and again")

    def _hold(self, lookup: str, claim: Claim | None) -> str | None:
        """The person with this lookup, held for `claim` (or confirmed, without one) under a
        row lock, so that a refused decision cannot delete them in between."""
        with self.connect() as conn, conn.transaction():
            row = conn.execute(
                sql.SQL("SELECT person_id, confirmed FROM {} WHERE lookup = %s FOR UPDATE").format(
                    self.people
                ),
                (lookup,),
            ).fetchone()
            if row is None:
                return None
            person_id, confirmed = str(row[0]), bool(row[1])
            if not confirmed:
                if claim is None:
                    self._confirm(conn, [person_id])
                else:
                    self._claim(conn, person_id, claim)
            return person_id

    def _claim(self, conn: Connection[Any], person_id: str, claim: Claim) -> None:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (person_id, experiment_id, decision_id) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING"
            ).format(self.claims),
            (person_id, claim.experiment_id, claim.decision_id),
        )

    def _confirm(self, conn: Connection[Any], person_ids: list[str]) -> None:
        conn.execute(
            sql.SQL("UPDATE {} SET confirmed = true WHERE person_id = ANY(%s)").format(self.people),
            (person_ids,),
        )

    def settle(self, claim: Claim, *, accepted: bool) -> list[str]:
        """The claiming decision's outcome is known: keep the people it named, or — refused —
        delete those no accepted decision and no other pending one refers to. Returns the ids
        deleted."""
        with self.connect() as conn, conn.transaction():
            released = [
                str(r[0])
                for r in conn.execute(
                    sql.SQL(
                        "DELETE FROM {} WHERE experiment_id = %s AND decision_id = %s "
                        "RETURNING person_id"
                    ).format(self.claims),
                    (claim.experiment_id, claim.decision_id),
                ).fetchall()
            ]
            if not released:
                return []
            if accepted:
                self._confirm(conn, released)
                return []
            unreferenced = [
                str(r[0])
                for r in conn.execute(
                    sql.SQL(
                        "SELECT p.person_id FROM {} p WHERE p.person_id = ANY(%s) "
                        "AND NOT p.confirmed ORDER BY p.person_id FOR UPDATE"
                    ).format(self.people),
                    (released,),
                ).fetchall()
            ]
            still_claimed = {
                str(r[0])
                for r in conn.execute(
                    sql.SQL("SELECT person_id FROM {} WHERE person_id = ANY(%s)").format(
                        self.claims
                    ),
                    (unreferenced,),
                ).fetchall()
            }
            gone = [p for p in unreferenced if p not in still_claimed]
            if gone:
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE person_id = ANY(%s)").format(self.keys), (gone,)
                )
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE person_id = ANY(%s)").format(self.people),
                    (gone,),
                )
        return gone

    def stale_claims(self, older_than: timedelta) -> list[Claim]:
        """Claims whose decision was never settled (its caller gave up or crashed)."""
        with self.connect() as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT DISTINCT experiment_id, decision_id FROM {} "
                    "WHERE claimed_at < now() - %s ORDER BY experiment_id, decision_id"
                ).format(self.claims),
                (older_than,),
            ).fetchall()
        return [Claim(UUID(str(r[0])), str(r[1])) for r in rows]

    # --- reading ------------------------------------------------------------------------

    def key_of(self, person_id: str) -> bytes | None:
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT key FROM {} WHERE person_id = %s").format(self.keys), (person_id,)
            ).fetchone()
        return bytes(row[0]) if row else None

    def find(self, person_id: str) -> Person | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT p.person_id, p.municipality, p.profile, p.created_at, p.erased_at, "
                    "k.key FROM {} p LEFT JOIN {} k USING (person_id) WHERE p.person_id = %s"
                ).format(self.people, self.keys),
                (person_id,),
            )
            row = cur.fetchone()
        return None if row is None else self._person(row)

    def list(self, municipality: str | None) -> list[Person]:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT p.person_id, p.municipality, p.profile, p.created_at, p.erased_at, "
                    "k.key FROM {} p LEFT JOIN {} k USING (person_id) "
                    "WHERE %(m)s::text IS NULL OR p.municipality = %(m)s "
                    "ORDER BY p.created_at, p.person_id"
                ).format(self.people, self.keys),
                {"m": municipality},
            )
            return [self._person(row) for row in cur.fetchall()]

    @staticmethod
    def _person(row: dict[str, Any]) -> Person:
        profile = open_profile(row["person_id"], row["key"], row["profile"])
        return Person(
            person_id=row["person_id"],
            municipality=row["municipality"],
            name=profile.get("name", ""),
            contact=profile.get("contact", ""),
            created_at=row["created_at"],
            erased_at=row["erased_at"],
        )

    # --- erasing ------------------------------------------------------------------------

    def forget(self, person_id: str, erased_by: str) -> Person:
        """Delete the person's key and blank their profile (their API keys are the key store's).

        Idempotent, so an erasure interrupted before its event was recorded can be repeated.
        """
        with self.connect() as conn, conn.transaction():
            erased = conn.execute(
                sql.SQL(
                    "UPDATE {} SET profile = NULL, lookup = NULL, "
                    "erased_at = coalesce(erased_at, now()), erased_by = coalesce(erased_by, %s) "
                    "WHERE person_id = %s RETURNING municipality, created_at, erased_at"
                ).format(self.people),
                (erased_by, person_id),
            ).fetchone()
            if erased is None:
                raise PersonNotFound(f"person {person_id} does not exist")
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE person_id = %s").format(self.keys), (person_id,)
            )
        municipality, created_at, erased_at = erased
        return Person(person_id, municipality, "", "", created_at, erased_at)


def open_profile(person_id: str, key: bytes | None, profile: str | None) -> dict[str, str]:
    """A person's sealed name and contact, opened; blank once their key is gone."""
    if key is None or not profile:
        return {"name": "", "contact": ""}
    opened = Keyring({person_id: bytes(key)}).open(profile)
    return orjson.loads(opened) if opened is not None else {"name": "", "contact": ""}
