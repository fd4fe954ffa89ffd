"""The neighbourhood register's table: what CBS says of each district and neighbourhood, by
code, with key figures by year. An import replaces one year's figures and keeps the others,
in one transaction: a file is kept whole or not at all."""

from __future__ import annotations

from typing import Any

import orjson
from psycopg import sql
from psycopg.rows import dict_row

from domain.register import Figure, RegisteredNeighbourhood
from services.infra.postgres import Connect, Database

TABLE = "neighbourhood_register"


class NeighbourhoodRegister:
    def __init__(self, database: Database, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, TABLE)
        self.connect = database.connector(connect)

    def keep(self, neighbourhoods: list[RegisteredNeighbourhood], year: int) -> int:
        """Keep these neighbourhoods with their figures of `year` (figures of other years
        stay); returns how many."""
        rows = [
            (
                n.code,
                n.municipality,
                n.name,
                n.kind,
                orjson.dumps([f.to_dict() for f in n.figures]).decode(),
                year,
            )
            for n in neighbourhoods
        ]
        with self.connect() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {t} AS r (code, municipality, name, kind, figures) "
                    "VALUES (%s, %s, %s, %s, %s::jsonb) "
                    "ON CONFLICT (code) DO UPDATE SET municipality = excluded.municipality, "
                    "name = excluded.name, kind = excluded.kind, imported_at = now(), "
                    "figures = (SELECT coalesce(jsonb_agg(f), '[]'::jsonb) "
                    "  FROM jsonb_array_elements(r.figures) f "
                    "  WHERE (f->>'year')::int <> %s) || excluded.figures"
                ).format(t=self.table),
                rows,
            )
        return len(rows)

    def find(self, code: str, municipality: str | None) -> RegisteredNeighbourhood | None:
        """A registered neighbourhood, if the municipality (None: any) has it."""
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT code, municipality, name, kind, figures FROM {} WHERE code = %s "
                    "AND (%s::text IS NULL OR municipality = %s)"
                ).format(self.table),
                (code, municipality, municipality),
            )
            row = cur.fetchone()
        return None if row is None else _neighbourhood(row)

    def knows(self, municipality: str, code: str) -> bool | None:
        """Whether the municipality's register has `code`; None when it has no register."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL("SELECT bool_or(code = %s) FROM {} WHERE municipality = %s").format(
                    self.table
                ),
                (code, municipality),
            )
            row = cur.fetchone()
        return None if row is None or row[0] is None else bool(row[0])


def _neighbourhood(row: dict[str, Any]) -> RegisteredNeighbourhood:
    figures = sorted((Figure(**f) for f in row["figures"]), key=lambda f: (-f.year, f.key))
    return RegisteredNeighbourhood(
        row["code"], row["name"], row["kind"], row["municipality"], tuple(figures)
    )
