"""The outbox's second duty: reminders by e-mail, written in the outbox's own transaction.

For each recorded decision: remember who took it as a follower of the experiment, settle the
reminders it makes moot (an endorsed plan waits for no one), and write one reminder per
person it concerns — the followers from the record and the people who accepted an
invitation for the experiment. The reminder id is derived from the person, the position and
the kind, so writing it again (a crash before the tracking row) changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg import Cursor, sql

from domain.decisions import DecisionType
from domain.reminders import Follower, concerned, follower_of, is_news, kind_of, settles
from domain.values import Role

REMINDER_NAMESPACE = uuid.UUID("6f1d2c3b-8a4e-4b5f-9c6d-7e8f9a0b1c2d")


def reminder_id(person_id: str, position: int, kind: str) -> uuid.UUID:
    return uuid.uuid5(REMINDER_NAMESPACE, f"{person_id}:{position}:{kind}")


def queue_reminders(
    cursor: Cursor[Any],
    schema: str,
    *,
    experiment_id: uuid.UUID,
    decision_type: DecisionType,
    actor: dict[str, Any],
    stage: str,
    cycle: int,
    position: int,
    happened: datetime,
    payload: dict[str, Any] | None = None,
    reminds: bool = True,
) -> list[uuid.UUID]:
    """Write the reminders one decision makes; their ids. With `reminds` false it makes
    none (a revision under rounds that puts nothing to residents) but still counts its
    taker as a follower and settles what it makes moot."""

    def table(name: str) -> sql.Identifier:
        return sql.Identifier(schema, name)

    follower = follower_of(actor)
    if follower is not None:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {} (experiment_id, person_id, role) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING"
            ).format(table("reminder_followers")),
            (experiment_id, follower.person_id, follower.role.value),
        )
    moot = settles(decision_type)
    if moot:
        cursor.execute(
            sql.SQL(
                "UPDATE {} SET status = 'settled', finished_at = now()"
                " WHERE experiment_id = %s AND kind = ANY(%s) AND status IN ('pending', 'digest')"
            ).format(table("reminders")),
            (experiment_id, [kind.value for kind in moot]),
        )
    kind = kind_of(decision_type) if reminds else None
    if kind is None or not is_news(happened, datetime.now(UTC)):
        return []
    followers = _followers(cursor, table, experiment_id)
    actor_id = actor.get("id")
    people = concerned(
        kind,
        followers,
        actor_id=str(actor_id) if actor_id else None,
        done=(payload or {}).get("voted", ()),
    )
    if not people:
        return []
    found = cursor.execute(
        sql.SQL("SELECT title FROM {} WHERE experiment_id = %s").format(
            table("outbox_experiments")
        ),
        (experiment_id,),
    ).fetchone()
    data = {
        "experiment_id": str(experiment_id),
        "title": (found or {}).get("title") or "",
        "stage": stage,
        "cycle": cycle,
        "at": happened.isoformat(),
    }
    closes_on = (payload or {}).get("closes_on")
    if closes_on:
        data["closes_on"] = closes_on
    made: list[uuid.UUID] = []
    for person_id in people:
        made_id = reminder_id(person_id, position, kind.value)
        cursor.execute(
            sql.SQL(
                "INSERT INTO {} (id, person_id, kind, experiment_id, position, data)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ).format(table("reminders")),
            (made_id, person_id, kind.value, experiment_id, position, orjson.dumps(data).decode()),
        )
        made.append(made_id)
    return made


def _followers(
    cursor: Cursor[Any], table: Callable[[str], sql.Identifier], experiment_id: uuid.UUID
) -> list[Follower]:
    """Who took the experiment's decisions, and who accepted an invitation for it (and has
    not lost it since)."""
    cursor.execute(
        sql.SQL(
            "SELECT person_id, role FROM {} WHERE experiment_id = %s"
            " UNION SELECT person_id, role FROM {} WHERE experiment_id = %s"
            " AND used_at IS NOT NULL AND revoked_at IS NULL"
            " ORDER BY person_id, role"
        ).format(table("reminder_followers"), table("invitations")),
        (experiment_id, experiment_id),
    )
    found: list[Follower] = []
    for row in cursor.fetchall():
        try:
            found.append(Follower(row["person_id"], Role(row["role"])))
        except ValueError:
            continue
    return found
