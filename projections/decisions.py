"""Read model: the full decision history of every experiment, oldest first."""

from __future__ import annotations

import copy
from typing import Any

from domain.people import ERASED_LABEL, set_path

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
        at timestamptz NOT NULL,
        -- Where the row holds a person's opened data (path -> person id), which paths were
        -- blanked because their person was erased, and the people concerned.
        sealed jsonb NOT NULL,
        erased text[] NOT NULL,
        people text[] NOT NULL
    )
    """,
]

# Built after a bulk load (a rebuild), before the copy serves: loading into a table without
# its secondary indexes is several times faster.
INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS decisions_by_experiment ON {schema}.decisions (experiment_id, version)",
    "CREATE INDEX IF NOT EXISTS decisions_by_person ON {schema}.decisions USING gin (people)",
]

# Rows travel as one JSON array per batch and PostgreSQL unpacks them: encoding the batch
# with orjson costs a fraction of formatting each value in Python, and the unpacking runs in
# the database server, beside the projector rather than in its turn.
INSERT = """
    INSERT INTO {schema}.decisions (position, experiment_id, municipality, version,
        decision_id, type, cycle, stage, actor, rationale, payload, source, at, sealed, erased,
        people)
    SELECT position, experiment_id, municipality, version, decision_id, type, cycle, stage,
        actor, rationale, payload, source, at, sealed, erased, people
    FROM json_populate_recordset(NULL::{schema}.decisions, %s::json)
"""

COLUMNS = "decision_id, type, cycle, stage, actor, rationale, payload, source, at, position, erased"


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
    sealed: dict[str, str],
    erased: list[str],
) -> dict[str, Any]:
    """One row of `INSERT`, as the JSON object PostgreSQL unpacks."""
    return {
        "position": position,
        "experiment_id": experiment_id,
        "municipality": municipality,
        "version": version,
        "decision_id": decision_id,
        "type": type,
        "cycle": cycle,
        "stage": stage,
        "actor": actor,
        "rationale": rationale,
        "payload": payload,
        "source": source,
        "at": at,
        "sealed": sealed,
        "erased": erased,
        "people": sorted(set(sealed.values())),
    }


def entry(record: dict[str, Any], language: str = "en") -> dict[str, Any]:
    """A stored row as the decision shape of the HTTP contract; an erased person's data
    reads "erased person" ("gewiste persoon" in Dutch)."""
    actor, payload = record["actor"], record["payload"]
    if record.get("erased"):
        actor, payload = dict(actor), copy.deepcopy(payload)
        for path in record["erased"]:
            set_path(actor, payload, path, ERASED_LABEL[language])
    return {
        "decision_id": record["decision_id"],
        "type": record["type"],
        "cycle": record["cycle"],
        "stage": record["stage"],
        "actor": actor,
        "rationale": record["rationale"],
        "payload": payload,
        "source": record["source"],
        "at": record["at"].isoformat(),
        "position": record["position"],
    }
