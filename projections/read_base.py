"""What every query over the read models stands on: the pool, the serving schema, tenancy,
and the two ways a read cannot be answered yet."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from domain.errors import DomainError
from projections.schema import serving_schema

# The event store's table (eventsourcing names it after the `Experiments` application).
EVENTS_TABLE = "experiments_events"


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


class ReadModelsBase:
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


def tenant_clause(municipality: str | None) -> tuple[sql.Composable, list[Any]]:
    """The WHERE clause that keeps a municipality to its own rows (none for all of them)."""
    if municipality is None:
        return sql.SQL(""), []
    return sql.SQL(" WHERE municipality = %s"), [municipality]
