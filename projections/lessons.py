"""Read model: every lesson of every cycle, searchable in Dutch and in English.

The text is indexed twice, with the Dutch and the English stemmer, so that "bewoners" finds
"bewoner" and "residents" finds "resident", whichever language a lesson was written in.
"""

from __future__ import annotations

from typing import Any

from domain.people import ERASED_LABEL
from domain.state import ExperimentState
from projections import copy_text

TABLE = "lessons"

DDL = [
    """
    CREATE TABLE {schema}.lessons (
        position bigint PRIMARY KEY,
        experiment_id uuid NOT NULL,
        municipality text NOT NULL,
        neighbourhood_code text NOT NULL,
        experiment_title text NOT NULL,
        cycle integer NOT NULL,
        decision_id text NOT NULL,
        text text NOT NULL,
        themes text[] NOT NULL,
        at timestamptz NOT NULL,
        owner text,
        erased boolean NOT NULL,
        search tsvector GENERATED ALWAYS AS (
            to_tsvector('dutch', text) || to_tsvector('english', text)
        ) STORED
    )
    """,
]

# Built after a bulk load (a rebuild), before the copy serves: loading into a table without
# its secondary indexes is several times faster.
INDEXES = [
    "CREATE INDEX IF NOT EXISTS lessons_search ON {schema}.lessons USING gin (search)",
    "CREATE INDEX IF NOT EXISTS lessons_by_theme ON {schema}.lessons USING gin (themes)",
    "CREATE INDEX IF NOT EXISTS lessons_by_town ON {schema}.lessons (municipality, position DESC)",
    # The commons finds a published lesson by its experiment and decision id.
    "CREATE INDEX IF NOT EXISTS lessons_by_id ON {schema}.lessons (experiment_id, decision_id)",
]

COPY_COLUMNS = (
    "position",
    "experiment_id",
    "municipality",
    "neighbourhood_code",
    "experiment_title",
    "cycle",
    "decision_id",
    "text",
    "themes",
    "at",
    "owner",
    "erased",
)
COPY = copy_text.statement(TABLE, COPY_COLUMNS)


def row(
    event: dict[str, Any],
    position: int,
    state: ExperimentState,
    text: str,
    themes: list[str],
    sealed: dict[str, str],
    erased: list[str],
) -> str:
    """One line of `COPY` (in `COPY_COLUMNS` order) for a lesson event's fields, with its
    text as the reader may see it (opened or blanked) and whose it is."""
    return copy_text.line(
        (
            str(position),
            state.id,
            copy_text.text(state.municipality),
            copy_text.text(state.neighbourhood.code),
            copy_text.text(state.title),
            str(event["cycle"]),
            copy_text.text(event["decision_id"]),
            copy_text.text(text),
            copy_text.array(themes),
            copy_text.moment(event["timestamp"]),
            copy_text.optional_text(sealed.get("payload.text")),
            copy_text.boolean("payload.text" in erased),
        )
    )


def entry(record: dict[str, Any], language: str = "en") -> dict[str, Any]:
    return {
        "experiment_id": str(record["experiment_id"]),
        "experiment_title": record["experiment_title"],
        "municipality": record["municipality"],
        "neighbourhood_code": record["neighbourhood_code"],
        "cycle": record["cycle"],
        "decision_id": record["decision_id"],
        "text": ERASED_LABEL[language] if record.get("erased") else record["text"],
        "erased": bool(record.get("erased")),
        "themes": list(record["themes"]),
        "at": record["at"].isoformat(),
        "position": record["position"],
    }
