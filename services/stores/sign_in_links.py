"""Sign-in links by mail: a random token (its SHA-256 kept) that opens one session, once,
within 15 minutes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from psycopg import sql

from domain.values import Role
from services.infra.postgres import Connect, Database

VALID = timedelta(minutes=15)
MAX_TOKEN = 100


@dataclass(frozen=True)
class LinkHolder:
    person_id: str
    role: Role
    municipality: str
    organisation: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInLinks:
    TABLE = "sign_in_links"

    def __init__(self, database: Database, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.connect = database.connector(connect)

    def issue(self, holder: LinkHolder) -> str:
        token = secrets.token_urlsafe(32)
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE expires_at < now() - interval '1 day'").format(
                    self.table
                )
            )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (token_sha256, person_id, role, municipality, organisation,"
                    " expires_at) VALUES (%s, %s, %s, %s, %s, now() + %s)"
                ).format(self.table),
                (
                    _hash(token),
                    holder.person_id,
                    holder.role.value,
                    holder.municipality,
                    holder.organisation,
                    VALID,
                ),
            )
        return token

    def is_open(self, token: str) -> bool:
        if not token or len(token) > MAX_TOKEN:
            return False
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT 1 FROM {} WHERE token_sha256 = %s AND used_at IS NULL "
                    "AND expires_at > now()"
                ).format(self.table),
                (_hash(token),),
            ).fetchone()
        return row is not None

    def use(self, token: str) -> LinkHolder | None:
        """Use the link: whom it signs in, if it was open (it is not from now on)."""
        if not token or len(token) > MAX_TOKEN:
            return None
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "UPDATE {} SET used_at = now() WHERE token_sha256 = %s AND used_at IS NULL "
                    "AND expires_at > now() RETURNING person_id, role, municipality, organisation"
                ).format(self.table),
                (_hash(token),),
            ).fetchone()
        return None if row is None else LinkHolder(str(row[0]), Role(row[1]), str(row[2]), row[3])

    def end_person(self, person_id: str) -> int:
        with self.connect() as conn:
            return conn.execute(
                sql.SQL("DELETE FROM {} WHERE person_id = %s").format(self.table), (person_id,)
            ).rowcount
