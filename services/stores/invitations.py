"""Invitations: a code shown once (its SHA-256 kept), used once, until it expires or is
revoked. Accepting is one conditional update, so two clicks on the same link at once open
one session, not two."""

from __future__ import annotations

import builtins
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from psycopg import sql
from psycopg.rows import dict_row

from domain.invitations import new_code, normalised_code
from domain.values import Role
from services.infra.postgres import Connect, Database


class Standing(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Invitation:
    id: UUID
    municipality: str
    role: Role
    person_id: str
    organisation: str | None
    experiment_id: UUID | None
    language: str
    delivered: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    standing: Standing

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "municipality": self.municipality,
            "role": self.role.value,
            "person_id": self.person_id,
            "organisation": self.organisation,
            "experiment_id": str(self.experiment_id) if self.experiment_id else None,
            "language": self.language,
            "delivered": self.delivered,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "used_at": self.used_at.isoformat() if self.used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "status": self.standing.value,
        }


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


_COLUMNS = sql.SQL(
    "id, municipality, role, person_id, organisation, experiment_id, language, delivered, "
    "invited_by, created_at, expires_at, used_at, revoked_at, "
    "CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN used_at IS NOT NULL THEN 'used' "
    "WHEN expires_at <= now() THEN 'expired' ELSE 'open' END AS standing"
)


def _invitation(row: dict[str, Any]) -> Invitation:
    return Invitation(
        id=row["id"],
        municipality=row["municipality"],
        role=Role(row["role"]),
        person_id=row["person_id"],
        organisation=row["organisation"],
        experiment_id=row["experiment_id"],
        language=row["language"],
        delivered=row["delivered"],
        invited_by=row["invited_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
        standing=Standing(row["standing"]),
    )


@dataclass(frozen=True)
class Returning:
    """A person who accepted an invitation for this address, and may come back by mail."""

    person_id: str
    role: Role
    municipality: str
    organisation: str | None


class InvitationStore:
    TABLE = "invitations"

    def __init__(
        self, database: Database, contact_key: bytes, connect: Connect | None = None
    ) -> None:
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.people_keys = sql.Identifier(database.schema, "person_keys")
        # Keyed hash of an invitation's e-mail address: found again by it, never stored.
        self.contact_key = contact_key
        self.connect = database.connector(connect)

    def contact_lookup(self, address: str) -> str:
        plain = address.strip().casefold()
        return hmac.new(self.contact_key, plain.encode(), hashlib.sha256).hexdigest()

    def create(
        self,
        *,
        municipality: str,
        role: Role,
        person_id: str,
        organisation: str | None,
        experiment_id: UUID | None,
        language: str,
        expires_in: timedelta,
        invited_by: str,
        address: str | None = None,
    ) -> tuple[Invitation, str]:
        """A new invitation and its code (shown once: only its hash is kept). It is marked
        undelivered until `delivered` says otherwise."""
        code = new_code()
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "INSERT INTO {} (id, code_sha256, municipality, role, person_id, organisation,"
                    " experiment_id, language, delivered, invited_by, expires_at, contact_lookup) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'none', %s, now() + %s, %s) "
                    "RETURNING {}"
                ).format(self.table, _COLUMNS),
                (
                    uuid4(),
                    _hash(normalised_code(code) or ""),
                    municipality,
                    role.value,
                    person_id,
                    organisation,
                    experiment_id,
                    language,
                    invited_by,
                    expires_in,
                    self.contact_lookup(address) if address else None,
                ),
            )
            row = cur.fetchone()
        assert row is not None
        return _invitation(row), code

    def delivered(self, invitation_id: UUID, how: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL("UPDATE {} SET delivered = %s WHERE id = %s").format(self.table),
                (how, invitation_id),
            )

    def by_code(self, code: str) -> Invitation | None:
        plain = normalised_code(code)
        if plain is None:
            return None
        return self._one(sql.SQL("code_sha256 = %s"), (_hash(plain),))

    def get(self, invitation_id: UUID, municipality: str | None) -> Invitation | None:
        found = self._one(sql.SQL("id = %s"), (invitation_id,))
        if found is None or (municipality is not None and found.municipality != municipality):
            return None
        return found

    def list(self, municipality: str | None, limit: int = 200) -> list[Invitation]:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT {} FROM {} WHERE %(m)s::text IS NULL OR municipality = %(m)s "
                    "ORDER BY created_at DESC LIMIT %(limit)s"
                ).format(_COLUMNS, self.table),
                {"m": municipality, "limit": limit},
            )
            return [_invitation(r) for r in cur.fetchall()]

    def accept(self, code: str) -> Invitation | None:
        """Use the code: the invitation, if it was open (and is used from now on), else None."""
        plain = normalised_code(code)
        if plain is None:
            return None
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "UPDATE {} SET used_at = now() WHERE code_sha256 = %s AND used_at IS NULL "
                    "AND revoked_at IS NULL AND expires_at > now() RETURNING {}"
                ).format(self.table, _COLUMNS),
                (_hash(plain),),
            )
            row = cur.fetchone()
        return None if row is None else _invitation(row)

    def residents_invited(self, experiment_id: UUID) -> int:
        """How many residents are invited to an experiment: each person once, whether they
        came in yet or not, as long as their invitation still stands (not revoked, and not
        expired unused)."""
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT count(DISTINCT person_id) FROM {} WHERE experiment_id = %s "
                    "AND role = %s AND revoked_at IS NULL "
                    "AND (used_at IS NOT NULL OR expires_at > now())"
                ).format(self.table),
                (experiment_id, Role.RESIDENT.value),
            ).fetchone()
        return int(row[0]) if row else 0

    def revoke(self, invitation_id: UUID) -> bool:
        with self.connect() as conn:
            return (
                conn.execute(
                    sql.SQL(
                        "UPDATE {} SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL "
                        "AND used_at IS NULL"
                    ).format(self.table),
                    (invitation_id,),
                ).rowcount
                == 1
            )

    def end_person(self, person_id: str) -> int:
        """Every invitation of a person is revoked (their access revoked, or erased): an
        open one opens nothing, a used one no longer lets them come back by mail, and the
        hash of their address goes."""
        with self.connect() as conn:
            return conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = coalesce(revoked_at, now()), contact_lookup = NULL "
                    "WHERE person_id = %s"
                ).format(self.table),
                (person_id,),
            ).rowcount

    def returning(self, address: str) -> builtins.list[Returning]:
        """The people who accepted an invitation for this address (not revoked, not erased),
        each with the role of their latest one."""
        with self.connect() as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT DISTINCT ON (i.person_id) i.person_id, i.role, i.municipality, "
                    "i.organisation FROM {} i JOIN {} k ON k.person_id = i.person_id "
                    "WHERE i.contact_lookup = %s AND i.used_at IS NOT NULL "
                    "AND i.revoked_at IS NULL ORDER BY i.person_id, i.used_at DESC"
                ).format(self.table, self.people_keys),
                (self.contact_lookup(address),),
            ).fetchall()
        return [Returning(str(r[0]), Role(r[1]), str(r[2]), r[3]) for r in rows]

    def _one(self, where: sql.Composable, params: tuple[Any, ...]) -> Invitation | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL("SELECT {} FROM {} WHERE ").format(_COLUMNS, self.table) + where,
                params,
            )
            row = cur.fetchone()
        return None if row is None else _invitation(row)
