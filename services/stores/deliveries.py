"""The log of outbound deliveries: one row per event and subscription (written by the
outbox, `projections.outbox`), its attempts, and how it ended. Read by the API and the admin
page; written by the delivery activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import dict_row

from services.infra.paging import cursor_int, decode_cursor, encode_cursor
from services.infra.postgres import Connect, Database

# How a delivery stands: waiting for its next attempt, or ended.
PENDING, DELIVERED, FAILED, GONE, CANCELLED = "pending", "delivered", "failed", "gone", "cancelled"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Delivery:
    id: UUID
    webhook_id: str
    subscription_id: UUID
    event_type: str
    position: int
    experiment_id: UUID | None
    body: dict[str, Any]
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    # Where its decision was traced, so each attempt continues that trace.
    trace: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "webhook_id": self.webhook_id,
            "subscription_id": str(self.subscription_id),
            "event_type": self.event_type,
            "position": self.position,
            "experiment_id": str(self.experiment_id) if self.experiment_id else None,
            "status": self.status,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "next_attempt_at": _iso(self.next_attempt_at),
            "created_at": _iso(self.created_at),
            "finished_at": _iso(self.finished_at),
        }


@dataclass(frozen=True)
class Target:
    """Where and what to send for one delivery, read at sending time."""

    delivery: Delivery
    url: str
    active: bool  # False once the subscription is deleted or disabled


class DeliveryLog:
    def __init__(self, database: Database, connect: Connect | None = None) -> None:
        schema = database.schema
        self.deliveries = sql.Identifier(schema, "deliveries")
        self.attempts = sql.Identifier(schema, "delivery_attempts")
        self.subscriptions = sql.Identifier(schema, "subscriptions")
        self.connect = database.connector(connect)

    def mark_dispatched(self, ids: list[UUID]) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET dispatched_at = now() WHERE id = ANY(%s) AND dispatched_at IS NULL"
                ).format(self.deliveries),
                (ids,),
            )

    def target(self, delivery_id: UUID) -> Target | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT d.*, s.url, (s.deleted_at IS NULL AND s.disabled_at IS NULL) AS active"
                    " FROM {} d JOIN {} s ON s.id = d.subscription_id WHERE d.id = %s"
                ).format(self.deliveries, self.subscriptions),
                (delivery_id,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        return Target(_delivery(row), row["url"], bool(row["active"]))

    def attempted(
        self,
        delivery_id: UUID,
        *,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
        next_attempt_at: datetime | None,
    ) -> None:
        """Log one attempt and what comes next (None: no further attempt planned)."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (delivery_id, status_code, error, duration_ms)"
                    " VALUES (%s, %s, %s, %s)"
                ).format(self.attempts),
                (delivery_id, status_code, error, duration_ms),
            )
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET attempts = attempts + 1, last_status = %s, last_error = %s,"
                    " next_attempt_at = %s WHERE id = %s"
                ).format(self.deliveries),
                (status_code, error, next_attempt_at, delivery_id),
            )

    def finish(self, delivery_id: UUID, status: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = %s, finished_at = now(), next_attempt_at = NULL"
                    " WHERE id = %s"
                ).format(self.deliveries),
                (status, delivery_id),
            )

    def reopen(self, delivery_id: UUID) -> bool:
        """A failed or cancelled delivery tried again (by hand); False if it is not ended
        that way."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = 'pending', finished_at = NULL"
                    " WHERE id = %s AND status IN ('failed', 'cancelled')"
                ).format(self.deliveries),
                (delivery_id,),
            )
            return done.rowcount == 1

    def get(self, subscription_id: UUID, delivery_id: UUID) -> Delivery | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL("SELECT * FROM {} WHERE id = %s AND subscription_id = %s").format(
                    self.deliveries
                ),
                (delivery_id, subscription_id),
            )
            row = cur.fetchone()
        return _delivery(row) if row else None

    def page(
        self, subscription_id: UUID, *, cursor: str | None = None, limit: int = 50
    ) -> tuple[list[Delivery], str | None]:
        """A subscription's deliveries, newest first, a page at a time."""
        after = decode_cursor(cursor, 2)
        before = cursor_int(after[0]) if after else None
        kind = str(after[1]) if after else ""
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT * FROM {} WHERE subscription_id = %(s)s"
                    " AND (%(b)s::bigint IS NULL OR position < %(b)s"
                    " OR (position = %(b)s AND event_type > %(t)s))"
                    " ORDER BY position DESC, event_type LIMIT %(n)s"
                ).format(self.deliveries),
                {"s": subscription_id, "b": before, "t": kind, "n": limit + 1},
            )
            rows = cur.fetchall()
        found = [_delivery(r) for r in rows[:limit]]
        more = len(rows) > limit
        last = found[-1] if more and found else None
        return found, encode_cursor([last.position, last.event_type]) if last else None

    def attempts_of(self, delivery_id: UUID) -> list[dict[str, Any]]:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT at, status_code, error, duration_ms FROM {}"
                    " WHERE delivery_id = %s ORDER BY id"
                ).format(self.attempts),
                (delivery_id,),
            )
            return [{**row, "at": row["at"].isoformat()} for row in cur.fetchall()]


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        subscription_id=row["subscription_id"],
        event_type=row["event_type"],
        position=row["position"],
        experiment_id=row["experiment_id"],
        body=row["body"],
        status=row["status"],
        attempts=row["attempts"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        trace=row.get("trace"),
    )
