"""Queries over the read models, as the API and the pages need them.

All reads go to the serving schema, whose views point at the current physical copy. Reads
may wait, bounded, until the projector has passed a given position (read-your-writes).
Tenancy is applied here: a municipality sees its own experiments; `None` means every
municipality (the read-only cross-municipality evaluator).
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from psycopg import sql

from domain.errors import InvalidInput
from projections.commons_queries import CommonsQueries
from projections.history_queries import HistoryQueries
from projections.overview_queries import OverviewQueries
from projections.programme_queries import ProgrammeQueries
from projections.read_base import ProjectionLagging, ReadModelsUnavailable
from services.infra.paging import (
    Page,
    decode_cursor,
    encode_cursor,
    page_limit,
    parsed_timestamp,
    parsed_uuid,
)

__all__ = ["ProjectionLagging", "ReadModels", "ReadModelsUnavailable"]

DEFAULT_WAIT = 5.0


class ReadModels(HistoryQueries, OverviewQueries, CommonsQueries, ProgrammeQueries):
    """Every query the API and the pages make: experiments and read-your-writes here, the
    history and the overviews in their own modules."""

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
