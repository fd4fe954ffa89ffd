"""The lessons library and the overviews by neighbourhood and by theme."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from projections import lessons
from projections.read_base import ReadModelsBase, tenant_clause
from services.infra.paging import Page, cursor_int, decode_cursor, encode_cursor, page_limit


class OverviewQueries(ReadModelsBase):
    def lessons(
        self,
        municipality: str | None,
        *,
        q: str | None = None,
        theme: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
        language: str = "en",
    ) -> Page:
        size = page_limit(limit)
        where: list[sql.Composable] = []
        params: list[Any] = []
        rank: sql.Composable = sql.SQL("0")
        rank_params: list[Any] = []
        if q is not None and q.strip():
            match = sql.SQL(
                "(websearch_to_tsquery('dutch', %s) || websearch_to_tsquery('english', %s))"
            )
            where.append(sql.SQL("search @@ ") + match)
            params += [q, q]
            rank = sql.SQL("ts_rank(search, ") + match + sql.SQL(")")
            rank_params = [q, q]
        if municipality is not None:
            where.append(sql.SQL("municipality = %s"))
            params.append(municipality)
        if theme is not None:
            where.append(sql.SQL("%s = ANY(themes)"))
            params.append(theme)
        offset = decode_cursor(cursor, 1)
        start = cursor_int(offset[0]) if offset else 0
        query = sql.SQL("SELECT *, {} AS rank FROM {}.lessons").format(rank, self.schema)
        if where:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
        query += sql.SQL(" ORDER BY rank DESC, position DESC LIMIT %s OFFSET %s")
        rows = self._rows(query, [*rank_params, *params, size + 1, start])
        items = [lessons.entry(r, language) for r in rows[:size]]
        next_cursor = encode_cursor([start + size]) if len(rows) > size else None
        return Page(items, next_cursor)

    # --- what waits on whom ----------------------------------------------------------------

    def actions(
        self,
        municipality: str | None,
        *,
        role: str | None = None,
        overdue: bool | None = None,
        owner: str | None = None,
        unowned_too: bool = False,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page:
        """Every decision an experiment waits for, longest waiting first; filtered by the
        role it is awaited from, overdue or not, and the responsible manager (with
        `unowned_too`, also the experiments no one is responsible for yet)."""
        size = page_limit(limit)
        where, params = self._awaiting(municipality, role, overdue, owner, unowned_too)
        after = decode_cursor(cursor, 4)
        if after is not None:
            where.append(
                sql.SQL("(a->>'since', e.id::text, a->>'awaited', a->>'from') > (%s, %s, %s, %s)")
            )
            params += [str(v) for v in after]
        query = sql.SQL(
            "SELECT e.id, e.title, e.neighbourhood_code, e.neighbourhood_name,"
            " e.neighbourhood_kind, e.owner, a FROM {}.experiments e,"
            " jsonb_array_elements(e.awaiting) a WHERE "
        ).format(self.schema) + sql.SQL(" AND ").join(where)
        query += sql.SQL(" ORDER BY a->>'since', e.id::text, a->>'awaited', a->>'from' LIMIT %s")
        rows = self._rows(query, [*params, size + 1])
        items = [
            {
                "experiment_id": str(r["id"]),
                "title": r["title"],
                "neighbourhood": {
                    "code": r["neighbourhood_code"],
                    "name": r["neighbourhood_name"],
                    "kind": r["neighbourhood_kind"],
                },
                "awaited": r["a"]["awaited"],
                "from": r["a"]["from"],
                "since": r["a"]["since"],
                "overdue": r["a"]["overdue"],
                "owner": r["owner"],
            }
            for r in rows[:size]
        ]
        next_cursor = None
        if len(rows) > size:
            last = items[size - 1]
            next_cursor = encode_cursor(
                [last["since"], last["experiment_id"], last["awaited"], last["from"]]
            )
        return Page(items, next_cursor)

    def waiting_count(
        self, municipality: str | None, *, role: str, owner: str | None = None
    ) -> int:
        """How many decisions wait on `role` (for a manager: on their experiments and on
        those no one is responsible for yet): the count in the pages' header."""
        where, params = self._awaiting(municipality, role, None, owner, True)
        query = sql.SQL(
            "SELECT count(*) AS n FROM {}.experiments e, jsonb_array_elements(e.awaiting) a WHERE "
        ).format(self.schema) + sql.SQL(" AND ").join(where)
        return int(self._rows(query, params)[0]["n"])

    @staticmethod
    def _awaiting(
        municipality: str | None,
        role: str | None,
        overdue: bool | None,
        owner: str | None,
        unowned_too: bool,
    ) -> tuple[list[sql.Composable], list[Any]]:
        where: list[sql.Composable] = [sql.SQL("e.awaiting <> '[]'::jsonb")]
        params: list[Any] = []
        if municipality is not None:
            where.append(sql.SQL("e.municipality = %s"))
            params.append(municipality)
        if role is not None:
            where.append(sql.SQL("a->>'from' = %s"))
            params.append(role)
        if overdue is not None:
            where.append(sql.SQL("(a->>'overdue')::boolean = %s"))
            params.append(overdue)
        if owner is not None:
            clause = "(e.owner = %s OR e.owner IS NULL)" if unowned_too else "e.owner = %s"
            where.append(sql.SQL(clause))
            params.append(owner)
        return where, params

    # --- neighbourhoods and themes ------------------------------------------------------

    def neighbourhoods(self, municipality: str | None) -> list[dict[str, Any]]:
        """Per neighbourhood: experiments by stage and status, and budget by funding source."""
        tenant, params = tenant_clause(municipality)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self._rows(
            sql.SQL("SELECT * FROM {}.neighbourhood_stages").format(self.schema) + tenant, params
        ):
            entry = found.setdefault(
                (r["municipality"], r["neighbourhood_code"]),
                {
                    "municipality": r["municipality"],
                    "code": r["neighbourhood_code"],
                    "name": r["neighbourhood_name"],
                    "kind": r["neighbourhood_kind"],
                    "stages": {},
                    "closed": 0,
                    "budget": {},
                },
            )
            if r["status"] == "closed":
                entry["closed"] += int(r["experiments"])
            else:
                entry["stages"][r["stage"]] = entry["stages"].get(r["stage"], 0) + int(
                    r["experiments"]
                )
        for r in self._rows(
            sql.SQL("SELECT * FROM {}.neighbourhood_budget").format(self.schema) + tenant, params
        ):
            key = (r["municipality"], r["neighbourhood_code"])
            if key in found:
                found[key]["budget"][r["source"]] = str(r["amount_eur"])
        return sorted(found.values(), key=lambda e: (e["municipality"], e["name"]))

    def themes(self, municipality: str | None) -> list[dict[str, Any]]:
        """Per theme: active experiments by stage and lessons learnt."""
        tenant, params = tenant_clause(municipality)
        found: dict[str, dict[str, Any]] = {}
        for r in self._rows(
            sql.SQL("SELECT * FROM {}.theme_stages").format(self.schema) + tenant, params
        ):
            entry = found.setdefault(
                r["theme"], {"theme": r["theme"], "stages": {}, "closed": 0, "lessons": 0}
            )
            if r["status"] == "closed":
                entry["closed"] += int(r["experiments"])
            else:
                entry["stages"][r["stage"]] = entry["stages"].get(r["stage"], 0) + int(
                    r["experiments"]
                )
        for r in self._rows(
            sql.SQL("SELECT * FROM {}.theme_lessons").format(self.schema) + tenant, params
        ):
            entry = found.setdefault(
                r["theme"], {"theme": r["theme"], "stages": {}, "closed": 0, "lessons": 0}
            )
            entry["lessons"] += int(r["lessons"])
        return sorted(found.values(), key=lambda e: e["theme"])
