"""Read model: the lessons commons, every published lesson of every municipality.

One row per published lesson (a later `publish_lesson` of the same lesson replaces the
earlier: its evidence level grows as the experiment learns). The lesson's and the findings'
texts are not copied here: a commons query joins them from the `lessons` and `decisions` read
models, and the publication's own decision for its `conditions`, so whatever an erasure
blanks there is blank in the commons too, with no second place to forget.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

TABLE = "commons"

DDL = [
    """
    CREATE TABLE {schema}.commons (
        experiment_id uuid NOT NULL,
        lesson_id text NOT NULL,
        municipality text NOT NULL,
        evidence_level text NOT NULL,
        supporting text[] NOT NULL,
        conditions text,
        published_at timestamptz NOT NULL,
        first_published_at timestamptz NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (experiment_id, lesson_id)
    )
    """,
]

INDEXES = [
    "CREATE INDEX IF NOT EXISTS commons_by_position ON {schema}.commons (position DESC)",
    "CREATE INDEX IF NOT EXISTS commons_by_level ON {schema}.commons (evidence_level)",
]

# The latest publication of each lesson in a fold, as JSON records; a row already there keeps
# its `first_published_at`.
UPSERT = """
    INSERT INTO {schema}.commons AS c (
        experiment_id, lesson_id, municipality, evidence_level, supporting, conditions,
        published_at, first_published_at, position
    )
    SELECT experiment_id, lesson_id, municipality, evidence_level, supporting, conditions,
           published_at, first_published_at, position
    FROM jsonb_to_recordset(%s::jsonb) AS p(
        experiment_id uuid, lesson_id text, municipality text, evidence_level text,
        supporting text[], conditions text, published_at timestamptz,
        first_published_at timestamptz, position bigint
    )
    ON CONFLICT (experiment_id, lesson_id) DO UPDATE SET
        evidence_level = excluded.evidence_level,
        supporting = excluded.supporting,
        conditions = excluded.conditions,
        published_at = excluded.published_at,
        position = excluded.position
"""


def record(
    experiment_id: str,
    municipality: str,
    payload: dict[str, Any],
    at: datetime,
    position: int,
    earlier: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A publication as the upsert reads it; `earlier`, the same lesson's publication before
    it in the same fold, whose first moment it keeps."""
    return {
        "experiment_id": experiment_id,
        "lesson_id": payload["lesson"],
        "municipality": municipality,
        "evidence_level": payload["evidence_level"],
        "supporting": payload.get("supporting", []),
        "conditions": payload.get("conditions"),
        "published_at": at.isoformat(),
        "first_published_at": earlier["first_published_at"] if earlier else at.isoformat(),
        "position": position,
    }
