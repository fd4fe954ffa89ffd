"""Access records: who read which decision history, export or past state, and when.

Under the AVG a municipality must be able to account for every look at personal data.
Reading a history, exporting it or rebuilding a past state writes one record; admins query
them (`GET /v1/access-records`, `wijklab access list`). Records name the reader by key and
pseudonymous person id, never by name, so erasing a reader leaves the trail intact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from psycopg import sql
from psycopg.rows import dict_row

from domain.access import ALL_MUNICIPALITIES, Principal
from services.infra.paging import Page, cursor_int, decode_cursor, encode_cursor
from services.infra.postgres import Connect, Database

TABLE = "access_records"
ACTIONS = ("history", "export", "past_state", "people", "evidence")
DEFAULT_LIMIT = 100
# The key id of a read by an operator at the command line, who has no key.
OPERATOR_KEY = UUID(int=0)


class AccessLog:
    def __init__(self, database: Database, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, TABLE)
        self.connect = database.connector(connect)

    def record(
        self,
        principal: Principal,
        action: str,
        *,
        municipality: str,
        experiment_id: UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Write the record before the data is handed over: no record, no read."""
        assert action in ACTIONS, action
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (key_id, actor_id, role, reader_municipality, municipality, "
                    "action, experiment_id, detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(self.table),
                (
                    principal.key_id,
                    principal.actor_id,
                    principal.role.value,
                    principal.municipality or ALL_MUNICIPALITIES,
                    municipality,
                    action,
                    experiment_id,
                    orjson.dumps(detail or {}).decode(),
                ),
            )

    def record_operator(
        self, action: str, *, municipality: str, operator: str, detail: dict[str, Any]
    ) -> None:
        """A read by an operator at the command line (an archive export): no key, so the
        key id is the nil UUID and the reader is named `cli:<operator>`."""
        assert action in ACTIONS, action
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (key_id, actor_id, role, reader_municipality, municipality, "
                    "action, detail) VALUES (%s, %s, 'operator', %s, %s, %s, %s)"
                ).format(self.table),
                (
                    OPERATOR_KEY,
                    f"cli:{operator}",
                    ALL_MUNICIPALITIES,
                    municipality,
                    action,
                    orjson.dumps(detail).decode(),
                ),
            )

    def all_of(
        self, municipality: str, until: datetime | None = None, batch: int = 2000
    ) -> Iterator[dict[str, Any]]:
        """Every record of one municipality's data, oldest first (up to `until`), streamed
        from a server-side cursor: for its archive."""
        with (
            self.connect() as conn,
            conn.transaction(),
            conn.cursor(name="access_records", row_factory=dict_row) as cur,
        ):
            cur.itersize = batch
            cur.execute(
                sql.SQL(
                    "SELECT id, at, key_id, actor_id, role, reader_municipality, municipality, "
                    "action, experiment_id, detail FROM {} WHERE municipality = %s "
                    "AND (%s::timestamptz IS NULL OR at < %s) ORDER BY id"
                ).format(self.table),
                (municipality, until, until),
            )
            yield from cur

    def list(
        self,
        municipality: str | None,
        *,
        experiment_id: UUID | None = None,
        actor_id: str | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page:
        """Records of one municipality's data (None: all), newest first."""
        limit = limit or DEFAULT_LIMIT
        after = decode_cursor(cursor, 1)
        before = cursor_int(after[0]) if after else None
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT id, at, key_id, actor_id, role, reader_municipality, municipality, "
                    "action, experiment_id, detail FROM {} "
                    "WHERE (%(m)s::text IS NULL OR municipality = %(m)s) "
                    "AND (%(e)s::uuid IS NULL OR experiment_id = %(e)s) "
                    "AND (%(a)s::text IS NULL OR actor_id = %(a)s) "
                    "AND (%(s)s::timestamptz IS NULL OR at >= %(s)s) "
                    "AND (%(b)s::bigint IS NULL OR id < %(b)s) "
                    "ORDER BY id DESC LIMIT %(l)s"
                ).format(self.table),
                {
                    "m": municipality,
                    "e": experiment_id,
                    "a": actor_id,
                    "s": since,
                    "b": before,
                    "l": limit + 1,
                },
            )
            rows = cur.fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [
            {
                "id": r["id"],
                "at": r["at"].isoformat(),
                "key_id": str(r["key_id"]),
                "actor_id": r["actor_id"],
                "role": r["role"],
                "reader_municipality": r["reader_municipality"],
                "municipality": r["municipality"],
                "action": r["action"],
                "experiment_id": str(r["experiment_id"]) if r["experiment_id"] else None,
                "detail": r["detail"],
            }
            for r in rows
        ]
        next_cursor = encode_cursor([rows[-1]["id"]]) if more else None
        return Page(items, next_cursor)
