"""Sessions of the pages, on the server: who is signed in, until when.

The cookie holds 32 random bytes; the table keeps only their SHA-256 (like API keys), so a
copy of the table opens no session. A session lasts at most 12 hours and ends after 2 hours
without a request; it is deleted at sign-out, when the person's access is revoked and when
the person is erased. A session opened with an API key (a development convenience) ends as
soon as that key is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID, uuid4

from psycopg import sql

from domain.access import ALL_MUNICIPALITIES, Principal
from domain.values import Role
from services.infra.postgres import Connect, Database
from services.stores.people import People, open_profile

ABSOLUTE = timedelta(hours=12)
IDLE = timedelta(hours=2)
# `last_seen_at` is written at most this often: an idle timeout of hours needs no write per
# request.
SEEN_GRANULARITY = timedelta(minutes=1)
MAX_TOKEN = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    TABLE = "sessions"

    def __init__(self, database: Database, people: People, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.api_keys = sql.Identifier(database.schema, "api_keys")
        self.people = people
        self.connect = database.connector(connect)

    def start(
        self,
        principal: Principal,
        *,
        api_key_id: UUID | None = None,
        organisation: str | None = None,
        identity_provider: str | None = None,
    ) -> str:
        """A new session for `principal`; the cookie's value is returned, never stored.

        Every sign-in starts a new session (the id rotates), and expired ones are cleared.
        """
        token = secrets.token_urlsafe(32)
        with self.connect() as conn:
            conn.execute(sql.SQL("DELETE FROM {} WHERE expires_at < now()").format(self.table))
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, token_sha256, role, municipality, person_id, api_key_id,"
                    " organisation, identity_provider, expires_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now() + %s)"
                ).format(self.table),
                (
                    uuid4(),
                    _hash(token),
                    principal.role.value,
                    principal.municipality or ALL_MUNICIPALITIES,
                    principal.person_id,
                    api_key_id,
                    organisation or principal.organisation,
                    identity_provider,
                    ABSOLUTE,
                ),
            )
        return token

    def authenticate(self, token: str) -> Principal | None:
        """Who holds this session, if it is still open; its last use is noted."""
        if not token or len(token) > MAX_TOKEN:
            return None
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT s.id, s.role, s.municipality, s.person_id, s.last_seen_at < now() - %s,"
                    " coalesce(k.name, ''), p.profile, pk.key, s.organisation "
                    "FROM {} s LEFT JOIN {} k ON k.id = s.api_key_id "
                    "LEFT JOIN {} p ON p.person_id = s.person_id "
                    "LEFT JOIN {} pk ON pk.person_id = s.person_id "
                    "WHERE s.token_sha256 = %s AND s.expires_at > now() "
                    "AND s.last_seen_at > now() - %s "
                    "AND (s.api_key_id IS NULL OR k.revoked_at IS NULL) "
                    "AND (s.person_id IS NULL OR pk.key IS NOT NULL)"
                ).format(self.table, self.api_keys, self.people.people, self.people.keys),
                (SEEN_GRANULARITY, _hash(token), IDLE),
            ).fetchone()
            if row is None:
                return None
            session_id, role, municipality, person_id, stale, name, profile, key, organisation = row
            if stale:
                conn.execute(
                    sql.SQL("UPDATE {} SET last_seen_at = now() WHERE id = %s").format(self.table),
                    (session_id,),
                )
        if person_id is not None:
            name = open_profile(person_id, key, profile)["name"]
        return Principal(
            key_id=session_id,
            role=Role(role),
            municipality=None if municipality == ALL_MUNICIPALITIES else municipality,
            name=name,
            person_id=person_id,
            person_key=bytes(key) if key is not None else None,
            organisation=organisation,
        )

    def end(self, token: str) -> bool:
        """Sign-out: the session is gone, and a copy of its cookie opens nothing."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL("DELETE FROM {} WHERE token_sha256 = %s").format(self.table),
                (_hash(token),),
            )
            return done.rowcount == 1

    def end_person(self, person_id: str) -> int:
        """Every session of a person (access revoked, or erased)."""
        with self.connect() as conn:
            return conn.execute(
                sql.SQL("DELETE FROM {} WHERE person_id = %s").format(self.table), (person_id,)
            ).rowcount

    def end_provider(self, name: str) -> int:
        """Every session opened through this identity provider."""
        with self.connect() as conn:
            return conn.execute(
                sql.SQL("DELETE FROM {} WHERE identity_provider = %s").format(self.table),
                (name,),
            ).rowcount

    def end_key(self, api_key_id: UUID) -> int:
        """Every session opened with this API key."""
        with self.connect() as conn:
            return conn.execute(
                sql.SQL("DELETE FROM {} WHERE api_key_id = %s").format(self.table),
                (api_key_id,),
            ).rowcount
