"""Outbound event subscriptions: the receivers a municipality's admin registered, with
their signing secrets (encrypted with the installation's key, shown once when made).

A rotation keeps the previous secret for a grace period and deliveries are signed with
both meanwhile (the Standard Webhooks header carries several signatures), so a receiver can
switch without refusing one; without grace (a leaked secret) only the new one signs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from psycopg import sql
from psycopg.rows import dict_row

from domain.subscriptions import SubscriptionRequest
from services.infra.postgres import Connect, Database
from services.infra.secret_box import SecretBox
from services.infra.webhooks import new_secret

ROTATION_GRACE = timedelta(hours=24)
COLUMNS = sql.SQL(
    "id, municipality, url, event_types, experiment_id, created_at, rotated_at,"
    " previous_valid_until, disabled_at, disabled_reason"
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Subscription:
    id: UUID
    municipality: str
    url: str
    event_types: tuple[str, ...]
    experiment_id: UUID | None
    created_at: datetime
    rotated_at: datetime | None
    previous_valid_until: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None

    @property
    def status(self) -> str:
        return "disabled" if self.disabled_at else "active"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "municipality": self.municipality,
            "url": self.url,
            "event_types": list(self.event_types),
            "experiment_id": str(self.experiment_id) if self.experiment_id else None,
            "status": self.status,
            "created_at": _iso(self.created_at),
            "rotated_at": _iso(self.rotated_at),
            "disabled_at": _iso(self.disabled_at),
            "disabled_reason": self.disabled_reason,
        }


def _subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(
        id=row["id"],
        municipality=row["municipality"],
        url=row["url"],
        event_types=tuple(row["event_types"]),
        experiment_id=row["experiment_id"],
        created_at=row["created_at"],
        rotated_at=row["rotated_at"],
        previous_valid_until=row["previous_valid_until"],
        disabled_at=row["disabled_at"],
        disabled_reason=row["disabled_reason"],
    )


class SubscriptionStore:
    TABLE = "subscriptions"

    def __init__(self, database: Database, box: SecretBox, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.box = box
        self.connect = database.connector(connect)

    def _context(self, subscription_id: UUID) -> str:
        return f"subscription:{subscription_id}"

    def create(
        self, municipality: str, request: SubscriptionRequest, *, from_position: int = 0
    ) -> tuple[Subscription, str]:
        """A new subscription and its secret (returned this once); it is sent the events
        recorded after `from_position`."""
        subscription_id = uuid4()
        secret = new_secret()
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "INSERT INTO {} (id, municipality, url, event_types, experiment_id,"
                    " from_position, secret) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {}"
                ).format(self.table, COLUMNS),
                (
                    subscription_id,
                    municipality,
                    request.url,
                    list(request.event_types),
                    request.experiment_id,
                    from_position,
                    self.box.seal(secret, self._context(subscription_id)),
                ),
            )
            row = cur.fetchone()
        assert row is not None
        return _subscription(row), secret

    def list(self, municipality: str | None) -> list[Subscription]:
        """The subscriptions not deleted, of one municipality (None: all), oldest first."""
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT {} FROM {} WHERE deleted_at IS NULL"
                    " AND (%(m)s::text IS NULL OR municipality = %(m)s) ORDER BY created_at, id"
                ).format(COLUMNS, self.table),
                {"m": municipality},
            )
            return [_subscription(row) for row in cur.fetchall()]

    def get(self, subscription_id: UUID, municipality: str | None) -> Subscription | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT {} FROM {} WHERE id = %(id)s AND deleted_at IS NULL"
                    " AND (%(m)s::text IS NULL OR municipality = %(m)s)"
                ).format(COLUMNS, self.table),
                {"id": subscription_id, "m": municipality},
            )
            row = cur.fetchone()
        return _subscription(row) if row else None

    def delete(self, subscription_id: UUID, municipality: str | None) -> bool:
        """Nothing is sent to it any more; its row stays for the log of deliveries."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET deleted_at = now(), secret = ''::bytea, previous_secret = NULL"
                    " WHERE id = %(id)s AND deleted_at IS NULL"
                    " AND (%(m)s::text IS NULL OR municipality = %(m)s)"
                ).format(self.table),
                {"id": subscription_id, "m": municipality},
            )
            return done.rowcount == 1

    def rotate(
        self,
        subscription_id: UUID,
        municipality: str | None,
        grace: timedelta = ROTATION_GRACE,
    ) -> str | None:
        """A new secret (returned this once), the old one signing too for `grace`; None when
        there is no such subscription."""
        secret = new_secret()
        immediate = grace <= timedelta(0)
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET previous_secret = CASE WHEN %(now)s THEN NULL ELSE secret END,"
                    " secret = %(secret)s, previous_valid_until = now() + %(grace)s,"
                    " rotated_at = now()"
                    " WHERE id = %(id)s AND deleted_at IS NULL"
                    " AND (%(m)s::text IS NULL OR municipality = %(m)s)"
                ).format(self.table),
                {
                    "now": immediate,
                    "secret": self.box.seal(secret, self._context(subscription_id)),
                    "grace": max(grace, timedelta(0)),
                    "id": subscription_id,
                    "m": municipality,
                },
            )
            return secret if done.rowcount == 1 else None

    def signing_secrets(self, subscription_id: UUID) -> tuple[str, ...]:
        """The secrets a delivery is signed with now: the current one, and the previous one
        while its grace lasts. Empty for a deleted subscription."""
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT secret, previous_secret, previous_valid_until > now()"
                    " FROM {} WHERE id = %s AND deleted_at IS NULL"
                ).format(self.table),
                (subscription_id,),
            ).fetchone()
        if row is None:
            return ()
        current, previous, previous_valid = row
        context = self._context(subscription_id)
        found = [self.box.open(bytes(current), context)]
        if previous is not None and previous_valid:
            found.append(self.box.open(bytes(previous), context))
        return tuple(found)

    def disable(self, subscription_id: UUID, reason: str) -> bool:
        """Stop sending (the receiver answered 410 Gone, say); the reason is shown."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET disabled_at = now(), disabled_reason = %s"
                    " WHERE id = %s AND disabled_at IS NULL AND deleted_at IS NULL"
                ).format(self.table),
                (reason[:200], subscription_id),
            )
            return done.rowcount == 1
