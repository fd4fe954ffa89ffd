"""Read model: the full decision history of every experiment, oldest first."""

from __future__ import annotations

from typing import Any

import orjson

TABLE = "decisions"

DDL = [
    """
    CREATE TABLE {schema}.decisions (
        position bigint PRIMARY KEY,
        experiment_id uuid NOT NULL,
        municipality text NOT NULL,
        version integer NOT NULL,
        decision_id text NOT NULL,
        type text NOT NULL,
        cycle integer NOT NULL,
        stage text NOT NULL,
        actor jsonb NOT NULL,
        rationale text NOT NULL,
        payload jsonb NOT NULL,
        source text NOT NULL,
        at timestamptz NOT NULL
    )
    """,
]

# Built after a bulk load (a rebuild), before the copy serves: loading into a table without
# its secondary indexes is several times faster.
INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS decisions_by_experiment ON {schema}.decisions (experiment_id, version)",
]

COPY = (
    "COPY {schema}.decisions (position, experiment_id, municipality, version, decision_id, "
    "type, cycle, stage, actor, rationale, payload, source, at) FROM STDIN"
)

COLUMNS = "decision_id, type, cycle, stage, actor, rationale, payload, source, at, position"


def row(
    *,
    position: int,
    experiment_id: Any,
    municipality: str,
    version: int,
    decision_id: str,
    type: str,
    cycle: int,
    stage: str,
    actor: dict[str, Any],
    rationale: str,
    payload: dict[str, Any],
    source: str,
    at: Any,
) -> tuple[Any, ...]:
    return (
        position,
        experiment_id,
        municipality,
        version,
        decision_id,
        type,
        cycle,
        stage,
        orjson.dumps(actor).decode(),
        rationale,
        orjson.dumps(payload).decode(),
        source,
        at,
    )


def entry(record: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the decision shape of the HTTP contract."""
    return {
        "decision_id": record["decision_id"],
        "type": record["type"],
        "cycle": record["cycle"],
        "stage": record["stage"],
        "actor": record["actor"],
        "rationale": record["rationale"],
        "payload": record["payload"],
        "source": record["source"],
        "at": record["at"].isoformat(),
        "position": record["position"],
    }
