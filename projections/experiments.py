"""Read model: experiments as they stand now, filterable by municipality, neighbourhood,
theme, stage and status, newest first; and what each waits for, from whom (`domain.actions`),
with its responsible manager — the actions' read model, folded with the experiment."""

from __future__ import annotations

from typing import Any

from domain.actions import awaited
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
        doc jsonb NOT NULL,
        awaiting jsonb NOT NULL DEFAULT '[]'::jsonb,
        owner text
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
    "CREATE INDEX IF NOT EXISTS experiments_by_programme ON {schema}.experiments ((doc->>'programme_id')) WHERE doc->>'programme_id' IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS experiments_awaiting ON {schema}.experiments (municipality) WHERE awaiting <> '[]'::jsonb",
]

# One JSON array per batch, unpacked by PostgreSQL: an experiment changes many times in a batch
# and is written once, its latest row (decisions and lessons are only ever added: `COPY`).
UPSERT = """
    INSERT INTO {schema}.experiments (
        id, municipality, neighbourhood_code, neighbourhood_name, neighbourhood_kind, title,
        themes, cycle, stage, status, outcome, created_at, last_decision_at, position, doc,
        awaiting, owner
    )
    SELECT id, municipality, neighbourhood_code, neighbourhood_name, neighbourhood_kind, title,
        themes, cycle, stage, status, outcome, created_at, last_decision_at, position, doc,
        awaiting, owner
    FROM json_populate_recordset(NULL::{schema}.experiments, %s::json)
    ON CONFLICT (id) DO UPDATE SET
        cycle = EXCLUDED.cycle, stage = EXCLUDED.stage, status = EXCLUDED.status,
        outcome = EXCLUDED.outcome, last_decision_at = EXCLUDED.last_decision_at,
        position = EXCLUDED.position, doc = EXCLUDED.doc, awaiting = EXCLUDED.awaiting,
        owner = EXCLUDED.owner
"""

SELECT_DOCS = "SELECT id, doc FROM {schema}.experiments WHERE id = ANY(%s)"


def row(state: ExperimentState, position: int) -> dict[str, Any]:
    """One row of `UPSERT`, as the JSON object PostgreSQL unpacks."""
    return {
        "id": state.id,
        "municipality": state.municipality,
        "neighbourhood_code": state.neighbourhood.code,
        "neighbourhood_name": state.neighbourhood.name,
        "neighbourhood_kind": state.neighbourhood.kind.value,
        "title": state.title,
        "themes": [t.value for t in state.themes],
        "cycle": state.cycle,
        "stage": state.stage.value,
        "status": state.status.value,
        "outcome": state.outcome.value if state.outcome else None,
        "created_at": state.created_at,
        "last_decision_at": state.updated_at,
        "position": position,
        "doc": state.to_dict(),
        "awaiting": [a.to_dict() for a in awaited(state)],
        "owner": state.owner,
    }
