"""Queries over the read models, as the API and the pages need them.

All reads go to the serving schema, whose views point at the current physical copy. Reads
may wait, bounded, until the projector has passed a given position (read-your-writes).
Tenancy is applied here: a municipality sees its own experiments; `None` means every
municipality (the read-only cross-municipality evaluator).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from domain.errors import DomainError, InvalidInput
from projections import decisions, lessons
from projections.schema import serving_schema
from services.infra.paging import (
    Page,
    cursor_int,
    decode_cursor,
    encode_cursor,
    page_limit,
    parsed_timestamp,
    parsed_uuid,
)

# The event store's table (eventsourcing names it after the `Experiments` application).
EVENTS_TABLE = "experiments_events"
DEFAULT_WAIT = 5.0


class ProjectionLagging(DomainError):
    """The read models have not reached the requested position in time."""

    code = "projection_lagging"

    def __init__(self, message: str, *, position: int, wanted: int) -> None:
        super().__init__(message)
        self.position = position
        self.wanted = wanted


class ReadModelsUnavailable(DomainError):
    """The read models do not exist yet (the projector has never run) or cannot be reached."""

    code = "read_models_unavailable"


class ReadModels:
    """Queries over the served read models, through a pool of dict-row connections that the
    composition root makes (and closes)."""

    def __init__(
        self, pool: ConnectionPool[psycopg.Connection[dict[str, Any]]], base_schema: str
    ) -> None:
        self.schema = sql.Identifier(serving_schema(base_schema))
        self.events = sql.Identifier(base_schema, EVENTS_TABLE)
        self.pool = pool

    def _rows(self, query: sql.Composed | sql.SQL, params: Any = ()) -> list[dict[str, Any]]:
        try:
            with self.pool.connection() as conn:
                rows: list[dict[str, Any]] = conn.execute(query, params).fetchall()
                return rows
        except psycopg.errors.UndefinedTable:
            raise ReadModelsUnavailable("the read models are not built yet") from None

    # --- position and read-your-writes --------------------------------------------------

    def position(self) -> int:
        rows = self._rows(sql.SQL("SELECT notification_id FROM {}.position").format(self.schema))
        return int(rows[0]["notification_id"]) if rows else 0

    def _position_or_zero(self) -> int:
        try:
            return self.position()
        except ReadModelsUnavailable:
            return 0  # the first build is still under way

    def wait_for(self, min_position: int | None, timeout: float = DEFAULT_WAIT) -> None:
        """Return once the read models include `min_position`; raise if that takes too long."""
        if not min_position:
            return
        if self._position_or_zero() >= min_position:
            return
        head = self._rows(
            sql.SQL("SELECT max(notification_id) AS head FROM {}").format(self.events)
        )
        if min_position > (head[0]["head"] or 0):
            raise InvalidInput(
                f"min_position {min_position} is beyond the last recorded position",
                field="min_position",
            )
        deadline = time.monotonic() + timeout
        pause = 0.005
        while (position := self._position_or_zero()) < min_position:
            if time.monotonic() >= deadline:
                raise ProjectionLagging(
                    f"the read models are at position {position}, not yet at {min_position}",
                    position=position,
                    wanted=min_position,
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    # --- experiments --------------------------------------------------------------------

    def experiment(self, experiment_id: UUID, municipality: str | None) -> dict[str, Any] | None:
        query = sql.SQL("SELECT doc FROM {}.experiments WHERE id = %s").format(self.schema)
        params: list[Any] = [experiment_id]
        if municipality is not None:
            query += sql.SQL(" AND municipality = %s")
            params.append(municipality)
        rows = self._rows(query, params)
        return dict(rows[0]["doc"]) if rows else None

    def experiments(
        self,
        municipality: str | None,
        *,
        neighbourhood: str | None = None,
        theme: str | None = None,
        stage: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page:
        size = page_limit(limit)
        where: list[sql.Composable] = []
        params: list[Any] = []
        for column, value in (
            ("municipality", municipality),
            ("neighbourhood_code", neighbourhood),
            ("stage", stage),
            ("status", status),
        ):
            if value is not None:
                where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
                params.append(value)
        if theme is not None:
            where.append(sql.SQL("%s = ANY(themes)"))
            params.append(theme)
        after = decode_cursor(cursor, 2)
        if after is not None:
            where.append(sql.SQL("(created_at, id) < (%s, %s)"))
            params += [parsed_timestamp(after[0]), parsed_uuid(after[1])]
        query = sql.SQL("SELECT id, created_at, doc FROM {}.experiments").format(self.schema)
        if where:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
        query += sql.SQL(" ORDER BY created_at DESC, id DESC LIMIT %s")
        rows = self._rows(query, [*params, size + 1])
        items = [dict(r["doc"]) for r in rows[:size]]
        next_cursor = None
        if len(rows) > size:
            last = rows[size - 1]
            next_cursor = encode_cursor([last["created_at"].isoformat(), str(last["id"])])
        return Page(items, next_cursor)

    def stage_counts(self, municipality: str | None) -> dict[str, int]:
        query = sql.SQL(
            "SELECT stage, count(*) AS n FROM {}.experiments WHERE status = 'active'"
        ).format(self.schema)
        params: list[Any] = []
        if municipality is not None:
            query += sql.SQL(" AND municipality = %s")
            params.append(municipality)
        query += sql.SQL(" GROUP BY stage")
        return {r["stage"]: int(r["n"]) for r in self._rows(query, params)}

    # --- decisions ----------------------------------------------------------------------

    def _decisions_query(self, municipality: str | None) -> tuple[sql.Composed, list[Any]]:
        query = sql.SQL("SELECT {} FROM {}.decisions WHERE experiment_id = %s").format(
            sql.SQL(decisions.COLUMNS), self.schema
        )
        params: list[Any] = []
        if municipality is not None:
            query += sql.SQL(" AND municipality = %s")
            params.append(municipality)
        return query, params

    def decisions(
        self,
        experiment_id: UUID,
        municipality: str | None,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        language: str = "en",
    ) -> Page:
        size = page_limit(limit)
        query, params = self._decisions_query(municipality)
        after = decode_cursor(cursor, 1)
        if after is not None:
            query += sql.SQL(" AND position > %s")
            params.append(cursor_int(after[0]))
        query += sql.SQL(" ORDER BY position LIMIT %s")
        rows = self._rows(query, [experiment_id, *params, size + 1])
        items = [decisions.entry(r, language) for r in rows[:size]]
        next_cursor = encode_cursor([rows[size - 1]["position"]]) if len(rows) > size else None
        return Page(items, next_cursor)

    CSV_COLUMNS = (
        "position",
        "at",
        "cycle",
        "stage",
        "type",
        "decision_id",
        "actor_id",
        "actor_role",
        "actor_name",
        "source",
        "rationale",
        "payload",
    )

    CSV_CHUNK = 500

    def decisions_csv(
        self, experiment_id: UUID, municipality: str | None, language: str = "en"
    ) -> Iterator[str]:
        """The whole history as CSV, streamed from a server-side cursor, never held in memory.

        Rows go out in chunks of a few hundred: one chunk per row would cost a thread hop and
        an HTTP chunk each.
        """
        query, params = self._decisions_query(municipality)
        query += sql.SQL(" ORDER BY position")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.CSV_COLUMNS)
        with (
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="decisions_csv") as rows,
        ):
            rows.itersize = self.CSV_CHUNK
            rows.execute(query, [experiment_id, *params])
            for count, r in enumerate(rows, 1):
                shown = decisions.entry(r, language) if r["erased"] else r
                actor = shown["actor"]
                writer.writerow(
                    (
                        r["position"],
                        r["at"].isoformat(),
                        r["cycle"],
                        r["stage"],
                        r["type"],
                        r["decision_id"],
                        actor.get("id", ""),
                        actor.get("role", ""),
                        actor.get("name", ""),
                        r["source"],
                        r["rationale"],
                        json.dumps(shown["payload"], ensure_ascii=False, sort_keys=True),
                    )
                )
                if count % self.CSV_CHUNK == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    # --- lessons ------------------------------------------------------------------------

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

    # --- neighbourhoods and themes ------------------------------------------------------

    def neighbourhoods(self, municipality: str | None) -> list[dict[str, Any]]:
        """Per neighbourhood: experiments by stage and status, and budget by funding source."""
        tenant, params = _tenant(municipality)
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
        tenant, params = _tenant(municipality)
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


def _tenant(municipality: str | None) -> tuple[sql.Composable, list[Any]]:
    """The WHERE clause that keeps a municipality to its own rows (none for all of them)."""
    if municipality is None:
        return sql.SQL(""), []
    return sql.SQL(" WHERE municipality = %s"), [municipality]
