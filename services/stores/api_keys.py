"""API keys: who is calling, for which municipality (the role matrix is `domain.access`).

A key is 32 random bytes, shown once; only its SHA-256 is stored. (A fast hash is enough for
a secret with 256 bits of entropy: nothing to guess, so nothing to slow down.)
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from psycopg import sql
from psycopg.rows import dict_row

from domain.access import ALL_MUNICIPALITIES, KEY_ROLES, Principal, check_municipality
from domain.errors import InvalidInput
from domain.people import HUMAN_ROLES
from domain.values import Role, check_visible
from services.infra.postgres import Connect, Database
from services.stores.people import People, open_profile

TOKEN_PREFIX = "wl_"  # noqa: S105 - a marker, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KeyStore:
    TABLE = "api_keys"

    def __init__(self, database: Database, people: People, connect: Connect | None = None) -> None:
        self.database = database
        self.people = people
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.connect = database.connector(connect)

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
        check_visible(name, "name")
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

    def list(self, municipality: str | None = None) -> list[dict[str, Any]]:
        """Every key (never its token), or only one municipality's."""
        with (
            self.connect() as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(
                sql.SQL(
                    "SELECT id, role, municipality, name, person_id, created_at, revoked_at "
                    "FROM {} WHERE %s::text IS NULL OR municipality = %s ORDER BY created_at"
                ).format(self.table),
                (municipality, municipality),
            )
            rows = cur.fetchall()
        names = {p.person_id: p.name for p in self.people.list(municipality)}
        for row in rows:
            if row["person_id"]:
                row["name"] = names.get(row["person_id"], "")
        return rows

    def revoke(self, key_id: UUID, municipality: str | None = None) -> bool:
        """Revoke an active key; with `municipality`, only one of that municipality's."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL"
                    " AND (%s::text IS NULL OR municipality = %s)"
                ).format(self.table),
                (key_id, municipality, municipality),
            )
            return done.rowcount == 1

    def revoke_person(self, person_id: str) -> int:
        """Revoke every key of a person (on erasure) and forget the name kept with them."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = coalesce(revoked_at, now()), name = '' "
                    "WHERE person_id = %s"
                ).format(self.table),
                (person_id,),
            )
            return done.rowcount


def when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"
