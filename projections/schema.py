"""Where the read models live, and the atomic switch between a serving and a rebuilt copy.

Every read model is built in a physical schema (`<base>_read_<n>`). Readers only ever query
the serving schema (`<base>_read`), whose views point at one physical schema. A rebuild fills
a new physical schema while the old one keeps serving, then repoints the views and the
pointer row in one transaction, and drops the old schema.
"""

from __future__ import annotations

from typing import Any, Literal

from psycopg import Cursor, sql

from projections import commons, decisions, experiments, lessons, neighbourhoods, programmes
from services.infra.postgres import ddl_transaction

MODULES = (experiments, decisions, lessons, commons, programmes)
TABLES = (*(m.TABLE for m in MODULES if m is not programmes), *programmes.TABLES)
STAT_VIEWS = ("neighbourhood_stages", "neighbourhood_budget", "theme_stages", "theme_lessons")
# The projected position of the physical schema, created with its tracking table.
POSITION_VIEW = "position"
POINTER_TABLE = "read_models"


# The shape of the read-model tables. Raise it with every change to their DDL or to what the
# fold writes: the active projector then rebuilds into a new schema before following, while
# the old one keeps serving.
SHAPE = 7


def serving_schema(base: str) -> str:
    return f"{base}_read"


def ensure_pointer(cursor: Cursor[Any], base: str) -> None:
    """The pointer table and row, created once (under the DDL lock); `cursor` has dict rows."""
    found = cursor.execute(
        "SELECT count(*) AS found FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s AND column_name = 'shape'",
        (base, POINTER_TABLE),
    ).fetchone()
    if found and found["found"]:
        return
    with ddl_transaction(cursor.connection):
        _create_pointer(cursor, base)
        cursor.execute(
            sql.SQL("ALTER TABLE {}.{} ADD COLUMN IF NOT EXISTS shape integer").format(
                sql.Identifier(base), sql.Identifier(POINTER_TABLE)
            )
        )


def _create_pointer(cursor: Cursor[Any], base: str) -> None:
    cursor.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.{} ("
            " serving text PRIMARY KEY,"
            " physical text,"
            " building text,"
            " generation integer NOT NULL DEFAULT 0,"
            " switched_at timestamptz)"
        ).format(sql.Identifier(base), sql.Identifier(POINTER_TABLE))
    )
    cursor.execute(
        sql.SQL("INSERT INTO {}.{} (serving) VALUES (%s) ON CONFLICT DO NOTHING").format(
            sql.Identifier(base), sql.Identifier(POINTER_TABLE)
        ),
        (serving_schema(base),),
    )


def pointer(
    cursor: Cursor[Any], base: str, lock: Literal["share", "update"] | None = None
) -> dict[str, Any]:
    """The pointer row; `share` blocks a switch until this transaction ends."""
    query = sql.SQL(
        "SELECT physical, building, generation, shape FROM {}.{} WHERE serving = %s"
    ).format(sql.Identifier(base), sql.Identifier(POINTER_TABLE))
    if lock == "share":
        query += sql.SQL(" FOR SHARE")
    elif lock == "update":
        query += sql.SQL(" FOR UPDATE")
    cursor.execute(query, (serving_schema(base),))
    row = cursor.fetchone()
    assert row is not None, "ensure_pointer() first"
    return dict(row)


def begin_building(cursor: Cursor[Any], base: str) -> str:
    """Name (and record) a new physical schema to build, or the one a rebuild left unfinished."""
    current = pointer(cursor, base, lock="update")
    if current["building"]:
        return str(current["building"])
    generation = int(current["generation"]) + 1
    physical = f"{serving_schema(base)}_{generation}"
    cursor.execute(
        sql.SQL("UPDATE {}.{} SET building = %s, generation = %s WHERE serving = %s").format(
            sql.Identifier(base), sql.Identifier(POINTER_TABLE)
        ),
        (physical, generation, serving_schema(base)),
    )
    cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(physical)))
    cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(physical)))
    for module in (*MODULES, neighbourhoods):
        for statement in module.DDL:
            cursor.execute(sql.SQL(statement).format(schema=sql.Identifier(physical)))
    return physical


def create_indexes(cursor: Cursor[Any], physical: str) -> None:
    """The secondary indexes, once the bulk of a rebuild is loaded (idempotent)."""
    for module in MODULES:
        for statement in module.INDEXES:
            cursor.execute(sql.SQL(statement).format(schema=sql.Identifier(physical)))


def switch(cursor: Cursor[Any], base: str, physical: str) -> str | None:
    """Serve `physical` from now on; return the schema it replaces. Caller holds the lock."""
    create_indexes(cursor, physical)
    serving = sql.Identifier(serving_schema(base))
    previous = pointer(cursor, base)["physical"]
    cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(serving))
    cursor.execute(sql.SQL("CREATE SCHEMA {}").format(serving))
    for name in (*TABLES, *STAT_VIEWS, POSITION_VIEW):
        cursor.execute(
            sql.SQL("CREATE VIEW {}.{} AS SELECT * FROM {}.{}").format(
                serving, sql.Identifier(name), sql.Identifier(physical), sql.Identifier(name)
            )
        )
    cursor.execute(
        sql.SQL(
            "UPDATE {}.{} SET physical = %s, building = NULL, switched_at = now(), shape = %s "
            "WHERE serving = %s"
        ).format(sql.Identifier(base), sql.Identifier(POINTER_TABLE)),
        (physical, SHAPE, serving_schema(base)),
    )
    return str(previous) if previous and previous != physical else None


def drop(cursor: Cursor[Any], physical: str) -> None:
    cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(physical)))
