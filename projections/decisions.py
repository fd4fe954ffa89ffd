"""Read model: the full decision history of every experiment, oldest first."""

from __future__ import annotations

import copy
from typing import Any

from domain.decisions import DecisionType
from domain.people import ERASED_LABEL, set_path
from projections import copy_text

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
    # A history is read in order of position, a page after a cursor's position: read along
    # this index, a page deep in 100,000 decisions costs what the first page does.
    "CREATE INDEX IF NOT EXISTS decisions_by_experiment_position ON {schema}.decisions (experiment_id, position)",
    "CREATE INDEX IF NOT EXISTS decisions_by_person ON {schema}.decisions USING gin (people)",
]

COPY_COLUMNS = (
    "position",
    "experiment_id",
    "municipality",
    "version",
    "decision_id",
    "type",
    "cycle",
    "stage",
    "actor",
    "rationale",
    "payload",
    "source",
    "at",
    "sealed",
    "erased",
    "people",
)
COPY = copy_text.statement(TABLE, COPY_COLUMNS)

COLUMNS = "decision_id, type, cycle, stage, actor, rationale, payload, source, at, position, erased"


def row(
    event: dict[str, Any],
    kind: DecisionType,
    position: int,
    experiment_id: str,
    municipality: str,
    actor: dict[str, Any],
    payload: dict[str, Any],
    sealed: dict[str, str],
    erased: list[str],
) -> str:
    """One line of `COPY` (in `COPY_COLUMNS` order) from a decision event's fields, with
    `actor` and `payload` as the reader may see them (opened or blanked); `experiment_id`
    as text, as the state keeps it."""
    return copy_text.line(
        (
            str(position),
            experiment_id,
            copy_text.text(municipality),
            str(event["originator_version"]),
            copy_text.text(event["decision_id"]),
            kind.value,
            str(event["cycle"]),
            event["stage"],
            copy_text.json(actor),
            copy_text.text(event["rationale"]),
            copy_text.json(payload),
            copy_text.text(event["source"]),
            copy_text.moment(event["timestamp"]),
            copy_text.json(sealed) if sealed else "{}",
            copy_text.array(erased),
            copy_text.array(sorted(set(sealed.values()))),
        )
    )


def entry(record: dict[str, Any], language: str = "en") -> dict[str, Any]:
    """A stored row as the decision shape of the HTTP contract; an erased person's data
    reads "erased person" ("gewiste persoon" in Dutch). A named person's contact (e-mail,
    phone) is never shown with a decision: admins find it in the people registry."""
    actor, payload = record["actor"], record["payload"]
    if record.get("erased"):
        actor, payload = dict(actor), copy.deepcopy(payload)
        for path in record["erased"]:
            set_path(actor, payload, path, ERASED_LABEL[language])
    person = payload.get("person")
    if isinstance(person, dict) and "contact" in person:
        payload = {**payload, "person": {k: v for k, v in person.items() if k != "contact"}}
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
