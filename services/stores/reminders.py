"""Reminders waiting to be mailed (written by the outbox, `projections.reminder_queue`) and
people's choices about them (`mail_preferences`). Written by the reminder activities, the
preferences page and the unsubscribe link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import dict_row

from domain.reminders import Frequency
from services.infra.postgres import Connect, Database

# How a reminder stands: waiting, held for the digest, or ended.
PENDING, DIGEST, SENT, SKIPPED, SETTLED = "pending", "digest", "sent", "skipped", "settled"
_COLUMNS = sql.SQL("id, person_id, kind, experiment_id, data, status, created_at")


@dataclass(frozen=True)
class Reminder:
    id: UUID
    person_id: str
    kind: str
    experiment_id: UUID
    data: dict[str, Any]
    status: str
    created_at: datetime


@dataclass(frozen=True)
class Preference:
    frequency: Frequency
    language: str | None


class ReminderLog:
    def __init__(self, database: Database, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, "reminders")
        self.connect = database.connector(connect)

    def get(self, reminder_id: UUID) -> Reminder | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL("SELECT {} FROM {} WHERE id = %s").format(_COLUMNS, self.table),
                (reminder_id,),
            )
            row = cur.fetchone()
        return None if row is None else Reminder(**row)

    def mark_dispatched(self, ids: Sequence[UUID]) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET dispatched_at = now() WHERE id = ANY(%s) AND dispatched_at IS NULL"
                ).format(self.table),
                (list(ids),),
            )

    def finish(self, reminder_id: UUID, status: str) -> bool:
        """End a waiting reminder as `status`; False if it had ended already."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = %s, finished_at = now()"
                    " WHERE id = %s AND status IN ('pending', 'digest')"
                ).format(self.table),
                (status, reminder_id),
            )
            return done.rowcount == 1

    def hold_for_digest(self, reminder_id: UUID) -> bool:
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = 'digest' WHERE id = %s AND status = 'pending'"
                ).format(self.table),
                (reminder_id,),
            )
            return done.rowcount == 1

    def claim_digest(self, person_id: str, claimant: str) -> list[Reminder]:
        """Take the person's held reminders for one digest. A repeated attempt of the same
        claimant gets the same reminders back; another claimant finds none of them."""
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "UPDATE {} SET claimed_by = %s WHERE person_id = %s AND status = 'digest'"
                    " AND (claimed_by IS NULL OR claimed_by = %s) RETURNING {}"
                ).format(self.table, _COLUMNS),
                (claimant, person_id, claimant),
            )
            rows = cur.fetchall()
        return sorted((Reminder(**row) for row in rows), key=lambda r: (r.created_at, r.id))

    def finish_claimed(self, claimant: str, status: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = %s, finished_at = now()"
                    " WHERE claimed_by = %s AND status = 'digest'"
                ).format(self.table),
                (status, claimant),
            )

    def of_person(self, person_id: str) -> list[Reminder]:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL("SELECT {} FROM {} WHERE person_id = %s ORDER BY created_at, id").format(
                    _COLUMNS, self.table
                ),
                (person_id,),
            )
            return [Reminder(**row) for row in cur.fetchall()]


class MailPreferences:
    """A person's choice: each reminder, a daily digest or none, and the language of mail."""

    def __init__(self, database: Database, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, "mail_preferences")
        self.connect = database.connector(connect)

    def of(self, person_id: str) -> Preference:
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT frequency, language FROM {} WHERE person_id = %s").format(
                    self.table
                ),
                (person_id,),
            ).fetchone()
        if row is None:
            return Preference(Frequency.EACH, None)
        return Preference(Frequency(row[0]), row[1])

    def choose(
        self, person_id: str, frequency: Frequency, language: str | None = None
    ) -> Preference:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} AS p (person_id, frequency, language) VALUES (%s, %s, %s)"
                    " ON CONFLICT (person_id) DO UPDATE SET frequency = EXCLUDED.frequency,"
                    " language = COALESCE(EXCLUDED.language, p.language), updated_at = now()"
                ).format(self.table),
                (person_id, frequency.value, language),
            )
        return self.of(person_id)

    def forget(self, person_id: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE person_id = %s").format(self.table), (person_id,)
            )
