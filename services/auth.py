"""API keys and the role matrix: who may do what, for which municipality.

A key is 32 random bytes, shown once; only its SHA-256 is stored. (A fast hash is enough for
a secret with 256 bits of entropy: nothing to guess, so nothing to slow down.)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from psycopg import sql
from psycopg.rows import dict_row

from domain.errors import InvalidInput
from domain.people import HUMAN_ROLES
from domain.values import Role
from services.database import Connect, Database
from services.people import People, open_profile

TOKEN_PREFIX = "wl_"  # noqa: S105 - a marker, not a secret
ALL_MUNICIPALITIES = "*"


class Permission(StrEnum):
    START_EXPERIMENT = "start_experiment"
    READ = "read"
    DECIDE = "decide"
    READ_PAST_STATE = "read_past_state"
    MANAGE_KEYS = "manage_keys"
    MANAGE_PEOPLE = "manage_people"


# The role matrix, in one place. Which decision types each role may take is the domain's
# business (`domain.rules.ROLE_MATRIX`); integrations decide only through signed webhooks.
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.START_EXPERIMENT: frozenset({Role.PROGRAMME_MANAGER, Role.RESIDENT}),
    Permission.READ: frozenset(
        {Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.EVALUATOR, Role.INTEGRATION}
    ),
    Permission.DECIDE: frozenset({Role.PROGRAMME_MANAGER, Role.RESIDENT}),
    Permission.READ_PAST_STATE: frozenset({Role.EVALUATOR, Role.PROGRAMME_MANAGER}),
    Permission.MANAGE_KEYS: frozenset({Role.ADMIN}),
    Permission.MANAGE_PEOPLE: frozenset({Role.ADMIN}),
}

KEY_ROLES = (
    Role.PROGRAMME_MANAGER,
    Role.RESIDENT,
    Role.EVALUATOR,
    Role.INTEGRATION,
    Role.ADMIN,
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role, municipality (None: every one), name and the
    pseudonymous person behind a person's key (None for integrations and older keys)."""

    key_id: UUID
    role: Role
    municipality: str | None
    name: str
    person_id: str | None = None
    # The person's own sealing key, read with the key itself: a decision of theirs is then
    # sealed without looking it up again. Never shown, never compared.
    person_key: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def actor_id(self) -> str:
        """The id decisions record: the person where there is one, else the key."""
        return self.person_id or str(self.key_id)

    @property
    def known_keys(self) -> dict[str, bytes]:
        """The sealing keys this request already holds, by person id."""
        if self.person_id is None or self.person_key is None:
            return {}
        return {self.person_id: self.person_key}

    def may(self, permission: Permission) -> bool:
        return self.role in PERMISSIONS[permission]

    def sees(self, municipality: str) -> bool:
        return self.municipality is None or self.municipality == municipality


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_municipality(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 100:
        raise InvalidInput("municipality must be 1 to 100 characters", field="municipality")
    return value


class KeyStore:
    TABLE = "api_keys"

    def __init__(self, database: Database, people: People, connect: Connect | None = None) -> None:
        self.database = database
        self.people = people
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.connect = database.connector(connect)

    def prepare(self) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " id uuid PRIMARY KEY,"
                    " token_sha256 text NOT NULL UNIQUE,"
                    " role text NOT NULL,"
                    " municipality text NOT NULL,"
                    " name text NOT NULL,"
                    " created_at timestamptz NOT NULL DEFAULT now(),"
                    " revoked_at timestamptz)"
                ).format(self.table)
            )
            # A person's key names a pseudonymous person; their name lives sealed in `people`.
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS person_id text").format(self.table)
            )

    def create(
        self, role_name: str, municipality: str, name: str = "", contact: str = ""
    ) -> tuple[str, UUID]:
        """A new key; the token is returned once and never stored.

        A key for a person (every role but integration) registers that person: the key row
        holds their pseudonymous id, their name and contact are sealed with their own key.
        """
        role = next((r for r in KEY_ROLES if r.value == role_name), None)
        if role is None:
            allowed = ", ".join(r.value for r in KEY_ROLES)
            raise InvalidInput(f"role must be one of: {allowed}", field="role")
        municipality = check_municipality(municipality)
        if municipality == ALL_MUNICIPALITIES and role is not Role.EVALUATOR:
            raise InvalidInput(
                "only an evaluator key may read across all municipalities (*)", field="municipality"
            )
        name, contact = name.strip()[:200], contact.strip()[:200]
        person_id = None
        if role in HUMAN_ROLES:
            person_id = (
                self.people.mention(municipality, name, contact)
                if contact
                else self.people.register(municipality, name, contact)
            )
            stored_name = ""
        else:
            stored_name = name  # an integration's name is not personal data
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key_id = uuid4()
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, token_sha256, role, municipality, name, person_id) "
                    "VALUES (%s, %s, %s, %s, %s, %s)"
                ).format(self.table),
                (key_id, hash_token(token), role.value, municipality, stored_name, person_id),
            )
        return token, key_id

    def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        # Looked up by the token's hash, an index lookup: nothing to learn from its timing.
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT k.id, k.role, k.municipality, k.name, k.person_id, p.profile, pk.key "
                    "FROM {} k LEFT JOIN {} p USING (person_id) LEFT JOIN {} pk USING (person_id) "
                    "WHERE k.token_sha256 = %s AND k.revoked_at IS NULL"
                ).format(self.table, self.people.people, self.people.keys),
                (hash_token(token),),
            ).fetchone()
        if row is None:
            return None
        key_id, role, municipality, name, person_id, profile, key = row
        if person_id is not None:
            name = open_profile(person_id, key, profile)["name"]
        return Principal(
            key_id=key_id,
            role=Role(role),
            municipality=None if municipality == ALL_MUNICIPALITIES else municipality,
            name=name,
            person_id=person_id,
            person_key=bytes(key) if key is not None else None,
        )

    def list(self) -> list[dict[str, Any]]:
        with (
            self.connect() as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(
                sql.SQL(
                    "SELECT id, role, municipality, name, person_id, created_at, revoked_at "
                    "FROM {} ORDER BY created_at"
                ).format(self.table)
            )
            rows = cur.fetchall()
        names = {p.person_id: p.name for p in self.people.list(None)}
        for row in rows:
            if row["person_id"]:
                row["name"] = names.get(row["person_id"], "")
        return rows

    def revoke(self, key_id: UUID) -> bool:
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL"
                ).format(self.table),
                (key_id,),
            )
            return done.rowcount == 1


def when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"
