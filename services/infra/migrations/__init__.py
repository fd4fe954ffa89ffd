"""Schema changes as numbered SQL files, each run once, in order, and recorded.

`NNNN_what.sql` in this folder, with `{schema}` where wijklab's schema goes. They run under
the DDL advisory lock, each in its own transaction together with its row in
`schema_migrations`, so that processes starting at once against an empty database apply each
one exactly once. The first ones are written with `IF NOT EXISTS`: a database made before
migrations existed (whose tables each store created on start) is brought under them in place.

What they cover: wijklab's own tables in its schema. The event store's tables are
eventsourcing's, created by the library; the read models live in schemas of their own that
the projector rebuilds whenever their shape changes (`projections.schema.SHAPE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
import structlog
from psycopg import sql

from services.infra.postgres import Database

log = structlog.get_logger(__name__)

TABLE = "schema_migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer wijklab than this one."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str


def available() -> list[Migration]:
    """Every migration shipped with this code, in order."""
    found = []
    for entry in resources.files(__package__).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    assert versions == list(range(1, len(found) + 1)), f"migrations must be 1..n: {versions}"
    return found


def applied(conn: psycopg.Connection[Any], schema: str) -> list[int]:
    """The versions recorded in `schema` (none when the table does not exist yet)."""
    exists = conn.execute("SELECT to_regclass(%s)", (f"{schema}.{TABLE}",)).fetchone()
    if exists is None or exists[0] is None:
        return []
    rows = conn.execute(
        sql.SQL("SELECT version FROM {} ORDER BY version").format(sql.Identifier(schema, TABLE))
    ).fetchall()
    return [int(r[0]) for r in rows]


def migrate(database: Database) -> list[Migration]:
    """Apply what is missing; return what was applied (nothing when the schema is current).

    When nothing is missing this is one query, without the lock: every process calls it on
    start, and command-line tools should not queue behind a running migration for nothing.
    """
    known = available()
    with database.connect(autocommit=True) as conn:
        done = applied(conn, database.schema)
        _check_not_newer(done, known)
        if len(done) == len(known):
            return []
    with database.ddl_lock(), database.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " version integer PRIMARY KEY,"
                " name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(sql.Identifier(database.schema, TABLE))
        )
        done = applied(conn, database.schema)  # again, now that no one else migrates
        _check_not_newer(done, known)
        missing = [m for m in known if m.version not in done]
        for migration in missing:
            with conn.transaction():
                conn.execute(sql.SQL(migration.text).format(schema=sql.Identifier(database.schema)))
                conn.execute(
                    sql.SQL("INSERT INTO {} (version, name) VALUES (%s, %s)").format(
                        sql.Identifier(database.schema, TABLE)
                    ),
                    (migration.version, migration.name),
                )
            log.info(
                "migration_applied",
                version=migration.version,
                name=migration.name,
                schema=database.schema,
            )
    return missing


def _check_not_newer(done: list[int], known: list[Migration]) -> None:
    if done and max(done) > len(known):
        raise SchemaTooNew(
            f"the database is at schema version {max(done)}, this wijklab knows up to "
            f"{len(known)}: run the newer wijklab, or restore a backup"
        )
