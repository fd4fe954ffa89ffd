"""Read model: programmes as they stand now, and every programme decision in order.

A programme's experiments, the funding they planned and their indicators are read from the
experiments read model by `programme_id` (see `projections.programme_queries`); here is what
the programme itself decided.
"""

from __future__ import annotations

import copy
from typing import Any

from domain.people import ERASED_LABEL, set_path
from domain.programme import ProgrammeState
from projections import copy_text

TABLE = "programmes"
DECISIONS_TABLE = "programme_decisions"
TABLES = (TABLE, DECISIONS_TABLE)

DDL = [
    """
    CREATE TABLE {schema}.programmes (
        id uuid PRIMARY KEY,
        municipality text NOT NULL,
        name text NOT NULL,
        status text NOT NULL,
        from_year integer NOT NULL,
        to_year integer NOT NULL,
        position bigint NOT NULL,
        doc jsonb NOT NULL
    )
    """,
    """
    CREATE TABLE {schema}.programme_decisions (
        position bigint PRIMARY KEY,
        programme_id uuid NOT NULL,
        municipality text NOT NULL,
        version integer NOT NULL,
        decision_id text NOT NULL,
        type text NOT NULL,
        actor jsonb NOT NULL,
        rationale text NOT NULL,
        payload jsonb NOT NULL,
        at timestamptz NOT NULL,
        -- What was sealed and is now blank because its person was erased (the manager's
        -- name), and the people concerned.
        erased text[] NOT NULL,
        people text[] NOT NULL
    )
    """,
]

INDEXES = [
    "CREATE INDEX IF NOT EXISTS programmes_by_town ON {schema}.programmes (municipality, name)",
    "CREATE INDEX IF NOT EXISTS programme_decisions_by_programme ON {schema}.programme_decisions (programme_id, version)",
]

UPSERT = """
    INSERT INTO {schema}.programmes (id, municipality, name, status, from_year, to_year, position, doc)
    SELECT id, municipality, name, status, from_year, to_year, position, doc
    FROM json_populate_recordset(NULL::{schema}.programmes, %s::json)
    ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, status = EXCLUDED.status, position = EXCLUDED.position,
        doc = EXCLUDED.doc
"""

COPY_COLUMNS = (
    "position",
    "programme_id",
    "municipality",
    "version",
    "decision_id",
    "type",
    "actor",
    "rationale",
    "payload",
    "at",
    "erased",
    "people",
)
COPY = copy_text.statement(DECISIONS_TABLE, COPY_COLUMNS)
SELECT_DOCS = "SELECT id, doc FROM {schema}.programmes WHERE id = ANY(%s)"


def row(state: ProgrammeState, position: int) -> dict[str, Any]:
    return {
        "id": state.id,
        "municipality": state.municipality,
        "name": state.name,
        "status": "closed" if state.closed else "active",
        "from_year": state.from_year,
        "to_year": state.to_year,
        "position": position,
        "doc": state.to_dict(),
    }


def decision_row(
    fields: dict[str, Any],
    kind: str,
    position: int,
    state: ProgrammeState,
    opened: tuple[dict[str, Any], dict[str, Any], dict[str, str], list[str]],
) -> str:
    """A programme decision's row; `opened` is its actor and payload with sealed values
    opened, which paths were sealed for whom, and which are erased (`ReadModelFold.opened`)."""
    actor, payload, sealed, erased = opened
    return copy_text.line(
        (
            str(position),
            state.id,
            copy_text.text(state.municipality),
            str(fields["originator_version"]),
            copy_text.text(fields["decision_id"]),
            kind,
            copy_text.json(actor),
            copy_text.text(fields["rationale"]),
            copy_text.json(payload),
            copy_text.moment(fields["timestamp"]),
            copy_text.array(erased),
            copy_text.array(sorted(set(sealed.values()))),
        )
    )


def entry(record: dict[str, Any], language: str = "en") -> dict[str, Any]:
    """A stored row as the contract's decision; an erased manager reads "erased person"."""
    actor, payload = record["actor"], record["payload"]
    if record["erased"]:
        actor, payload = dict(actor), copy.deepcopy(payload)
        for path in record["erased"]:
            set_path(actor, payload, path, ERASED_LABEL[language])
    return {
        "decision_id": record["decision_id"],
        "type": record["type"],
        "actor": actor,
        "rationale": record["rationale"],
        "payload": payload,
        "at": record["at"].isoformat(),
        "position": record["position"],
    }
