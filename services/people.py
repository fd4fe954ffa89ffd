"""The people registry and their keys: sealing personal data, opening it, erasing a person.

Each person has a random 256-bit key in `person_keys`, a table of its own: erasing the person
deletes that row, and everything sealed with it is unreadable from then on, wherever it was
copied. Sealing is AES-256-GCM with the person id as associated data; the nonce is derived
from the key and the plaintext (a synthetic IV), so sealing the same text twice gives the
same value. That keeps a repeated request identical to its first sending, which is how
idempotency tells a repeat from a reused key, without ever reusing a nonce for two texts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import Cursor, sql
from psycopg.rows import dict_row

from domain.decisions import Decision
from domain.errors import DomainError, InvalidInput
from domain.people import (
    HUMAN_ROLES,
    MENTIONS_PERSON,
    PERSON_PREFIX,
    PERSONAL_TEXT_FIELDS,
    SEALED_PREFIX,
    check_person_id,
    personal_by_default,
    sealed_body,
    sealed_owner,
    sealed_paths,
)
from domain.values import Actor
from services.database import Connect, Database

KEY_BYTES = 32
NONCE_BYTES = 12
KEYS_TABLE = "person_keys"
PEOPLE_TABLE = "people"


class _AlreadyRegistered(Exception):
    """Another request registered the same named person first."""


class PersonNotFound(DomainError):
    code = "person_not_found"


class PersonErased(DomainError):
    code = "person_erased"


def new_person_id() -> str:
    return PERSON_PREFIX + secrets.token_hex(16)


def seal(key: bytes, person_id: str, plain: str) -> str:
    """`plain` sealed for `person_id`: `sealed:v1:<person>:<base64url(nonce | ciphertext)>`."""
    data = plain.encode()
    nonce = hmac.new(key, b"nonce\x00" + data, hashlib.sha256).digest()[:NONCE_BYTES]
    body = nonce + AESGCM(key).encrypt(nonce, data, person_id.encode())
    return f"{SEALED_PREFIX}{person_id}:{base64.urlsafe_b64encode(body).decode()}"


def open_sealed(key: bytes, value: str) -> str:
    owner = sealed_owner(value)
    if owner is None:
        raise ValueError("not a sealed value")
    body = base64.urlsafe_b64decode(sealed_body(value))
    return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], owner.encode()).decode()


class Keyring:
    """The keys of a set of people, for opening what was sealed for them."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        self.keys = keys

    def open(self, value: Any) -> str | None:
        """The plaintext of a sealed value; None when its owner was erased (or it is damaged)."""
        owner = sealed_owner(value)
        if owner is None:
            return value if isinstance(value, str) else None
        key = self.keys.get(owner)
        if key is None:
            return None
        try:
            return open_sealed(key, value)
        except (InvalidTag, ValueError):
            return None


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
        # Keyed hash of a mentioned person's name and contact, to find them again without
        # storing either in the clear; blanked on erasure.
        self.lookup_key = lookup_key
        self.connect = database.connector(connect)

    def prepare(self) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " person_id text PRIMARY KEY,"
                    " municipality text NOT NULL,"
                    " profile text,"
                    " lookup text UNIQUE,"
                    " created_at timestamptz NOT NULL DEFAULT now(),"
                    " erased_at timestamptz,"
                    " erased_by text)"
                ).format(self.people)
            )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " person_id text PRIMARY KEY,"
                    " key bytea NOT NULL,"
                    " created_at timestamptz NOT NULL DEFAULT now())"
                ).format(self.keys)
            )

    # --- registering --------------------------------------------------------------------

    def register(
        self, municipality: str, name: str, contact: str = "", *, lookup: str | None = None
    ) -> str:
        """A new person with their own key; their name and contact sealed with it."""
        person_id = new_person_id()
        key = secrets.token_bytes(KEY_BYTES)
        profile = seal(key, person_id, orjson.dumps({"name": name, "contact": contact}).decode())
        with self.connect() as conn, conn.transaction():
            conn.execute(
                sql.SQL("INSERT INTO {} (person_id, key) VALUES (%s, %s)").format(self.keys),
                (person_id, key),
            )
            added = conn.execute(
                sql.SQL(
                    "INSERT INTO {} (person_id, municipality, profile, lookup) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (lookup) DO NOTHING RETURNING person_id"
                ).format(self.people),
                (person_id, municipality, profile, lookup),
            ).fetchone()
            if added is None:
                raise _AlreadyRegistered  # rolls back the key as well
        return person_id

    def mention(self, municipality: str, name: str, contact: str) -> str:
        """The person named by name (and contact) in this municipality: found again, or
        registered. Keys for a person with a contact come here too, so a resident named in a
        finding by name and contact is the same person as the one holding that key."""
        if self.lookup_key is None:
            raise RuntimeError("naming people needs the lookup key (from WIJKLAB_SECRET_KEY)")
        lookup = hmac.new(
            self.lookup_key,
            f"{municipality}\x1f{_normalised(name)}\x1f{_normalised(contact)}".encode(),
            hashlib.sha256,
        ).hexdigest()
        found = self._by_lookup(lookup)
        if found is not None:
            return found
        try:
            return self.register(municipality, name, contact, lookup=lookup)
        except _AlreadyRegistered:  # someone registered the same person a moment earlier
            found = self._by_lookup(lookup)
            assert found is not None
            return found

    def _by_lookup(self, lookup: str) -> str | None:
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT person_id FROM {} WHERE lookup = %s").format(self.people),
                (lookup,),
            ).fetchone()
        return str(row[0]) if row else None

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

    # --- sealing decisions --------------------------------------------------------------

    def seal_decision(
        self, decision: Decision, municipality: str, known_keys: Mapping[str, bytes] | None = None
    ) -> Decision:
        """The decision as it may be stored and sent: personal data sealed, people as ids.

        The actor's name is sealed with their key. A named person is found or registered,
        and the decision's own account (`PERSONAL_TEXT_FIELDS`) is sealed with the key of
        the person whose words it is, when it is personal (by default for residents).
        """
        if sealed_paths({}, decision.payload):
            raise InvalidInput("values of the form sealed:v1:… are wijklab's own", field="payload")
        seal_for = _Sealer(self, known_keys)
        actor = decision.actor
        payload = dict(decision.payload)
        owner = _person_of(actor)
        if owner is not None and actor.name:
            actor = replace(actor, name=seal_for(owner, actor.name))
        kind = decision.type.value
        person = payload.get("person")
        if kind in MENTIONS_PERSON and isinstance(person, dict):
            mentioned = self._resolve(person, municipality, seal_for)
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

    def _resolve(
        self, person: dict[str, Any], municipality: str, seal_for: _Sealer
    ) -> dict[str, str]:
        if "id" in person:
            person_id = check_person_id(person["id"])
            found = self.find(person_id)
            if found is None or found.municipality != municipality:
                raise InvalidInput(f"person {person_id} does not exist", field="person")
            if found.erased_at is not None:
                raise PersonErased(f"person {person_id} was erased and cannot be named again")
            name, contact = found.name, found.contact
        else:
            name, contact = person["name"], person.get("contact", "")
            person_id = self.mention(municipality, name, contact)
        sealed = {"id": person_id, "name": seal_for(person_id, name)}
        if contact:
            sealed["contact"] = seal_for(person_id, contact)
        return sealed

    # --- erasing ------------------------------------------------------------------------

    def forget(self, person_id: str, erased_by: str) -> Person:
        """Delete the person's key and blank their profile; their API keys stop working.

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
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = coalesce(revoked_at, now()), name = '' "
                    "WHERE person_id = %s"
                ).format(sql.Identifier(self.base, "api_keys")),
                (person_id,),
            )
        municipality, created_at, erased_at = erased
        return Person(person_id, municipality, "", "", created_at, erased_at)


def open_profile(person_id: str, key: bytes | None, profile: str | None) -> dict[str, str]:
    """A person's sealed name and contact, opened; blank once their key is gone."""
    if key is None or not profile:
        return {"name": "", "contact": ""}
    opened = Keyring({person_id: bytes(key)}).open(profile)
    return orjson.loads(opened) if opened is not None else {"name": "", "contact": ""}


class _Sealer:
    """Seals for one decision, looking each person's key up once."""

    def __init__(self, people: People, known_keys: Mapping[str, bytes] | None = None) -> None:
        self.people = people
        self.keys: dict[str, bytes] = dict(known_keys or {})

    def __call__(self, person_id: str, plain: str) -> str:
        if person_id not in self.keys:
            key = self.people.key_of(person_id)
            if key is None:
                raise PersonErased(f"person {person_id} was erased")
            self.keys[person_id] = key
        return seal(self.keys[person_id], person_id, plain)


def _person_of(actor: Actor) -> str | None:
    """The person an actor is, when it is one (not an integration, the timer or an older key)."""
    return actor.id if actor.role in HUMAN_ROLES and actor.id.startswith(PERSON_PREFIX) else None
