"""Read model: experiments as they stand now, filterable by municipality, neighbourhood,
theme, stage and status, newest first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson

from domain.state import ExperimentState

TABLE = "experiments"

DDL = [
    """
    CREATE TABLE {schema}.experiments (
        id uuid PRIMARY KEY,
        municipality text NOT NULL,
        neighbourhood_code text NOT NULL,
        neighbourhood_name text NOT NULL,
        neighbourhood_kind text NOT NULL,
        title text NOT NULL,
        themes text[] NOT NULL,
        cycle integer NOT NULL,
        stage text NOT NULL,
        status text NOT NULL,
        outcome text,
        created_at timestamptz NOT NULL,
        last_decision_at timestamptz NOT NULL,
        position bigint NOT NULL,
        doc jsonb NOT NULL
    )
    """,
]

# Built after a bulk load (a rebuild), before the copy serves: loading into a table without
# its secondary indexes is several times faster.
INDEXES = [
    "CREATE INDEX IF NOT EXISTS experiments_by_town ON {schema}.experiments (municipality, created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS experiments_by_time ON {schema}.experiments (created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS experiments_by_theme ON {schema}.experiments USING gin (themes)",
    "CREATE INDEX IF NOT EXISTS experiments_by_neighbourhood ON {schema}.experiments (municipality, neighbourhood_code)",
]

UPSERT = """
    INSERT INTO {schema}.experiments (
        id, municipality, neighbourhood_code, neighbourhood_name, neighbourhood_kind, title,
        themes, cycle, stage, status, outcome, created_at, last_decision_at, position, doc
    ) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (id) DO UPDATE SET
        cycle = EXCLUDED.cycle, stage = EXCLUDED.stage, status = EXCLUDED.status,
        outcome = EXCLUDED.outcome, last_decision_at = EXCLUDED.last_decision_at,
        position = EXCLUDED.position, doc = EXCLUDED.doc
"""

SELECT_DOCS = "SELECT id, doc FROM {schema}.experiments WHERE id = ANY(%s)"


def row(state: ExperimentState, position: int) -> tuple[Any, ...]:
    return (
        UUID(state.id),
        state.municipality,
        state.neighbourhood.code,
        state.neighbourhood.name,
        state.neighbourhood.kind.value,
        state.title,
        [t.value for t in state.themes],
        state.cycle,
        state.stage.value,
        state.status.value,
        state.outcome.value if state.outcome else None,
        state.created_at,
        state.updated_at,
        position,
        orjson.dumps(state.to_dict()).decode(),
    )
