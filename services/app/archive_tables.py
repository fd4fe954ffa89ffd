"""What a municipality's archive holds, table by table: every column named, typed and
described, and how a row is made from the record.

The same definitions write the CSV files and describe them in the Frictionless data package,
so the description cannot drift from the data. Rows come from the events as stored: a
sealed value (a person's name, their own words) stays sealed, exactly as in the event store,
and opens only with that person's key, which never leaves wijklab.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from domain.decisions import DecisionType
from domain.programme import ProgrammeState
from domain.state import ExperimentState
from services.infra.archive_reader import StoredRecord


@dataclass(frozen=True)
class Column:
    name: str
    # A Frictionless Table Schema type: string, integer, boolean, datetime, object.
    type: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _moment(value: Any) -> str:
    return value.isoformat() if value is not None else ""


SEALED = (
    " A value that starts with `sealed:` is sealed with the key of the person it belongs to "
    "and stays sealed in the archive."
)

DECISIONS = Table(
    "decisions",
    "Besluiten",
    "Every decision of every experiment, in the order it was recorded.",
    (
        Column("position", "integer", "Place in the municipality's record (global order).", True),
        Column("experiment_id", "string", "The experiment's id (a UUID).", True),
        Column("version", "integer", "Place in the experiment's own history, from 1.", True),
        Column("decision_id", "string", "The decision's id, unique in the experiment.", True),
        Column("type", "string", "The kind of decision (start, revise_plan, advance, …).", True),
        Column("cycle", "integer", "The learning cycle it was taken in, from 1.", True),
        Column("stage", "string", "The stage it was taken in: plan, act, evaluate, learn.", True),
        Column("actor_id", "string", "Who took it: a pseudonymous id (prs_…) or a key's id."),
        Column("actor_role", "string", "The taker's role.", True),
        Column("actor_name", "string", "The taker's name as recorded." + SEALED),
        Column("rationale", "string", "Why, in the taker's words."),
        Column("source", "string", "How it came in: api, timer or webhook:<integration>.", True),
        Column("at", "datetime", "When it was recorded (UTC).", True),
        Column("payload", "object", "The decision's fields as JSON." + SEALED, True),
    ),
    ("position",),
)

LESSONS = Table(
    "lessons",
    "Lessen",
    "Every lesson recorded at the end of a cycle.",
    (
        Column("position", "integer", "Place in the municipality's record.", True),
        Column("experiment_id", "string", "The experiment's id.", True),
        Column("decision_id", "string", "The lesson's decision id.", True),
        Column("cycle", "integer", "The cycle it was learnt in.", True),
        Column("actor_role", "string", "The role of who recorded it.", True),
        Column("themes", "string", "Its themes, space-separated."),
        Column("text", "string", "The lesson." + SEALED, True),
        Column("at", "datetime", "When it was recorded (UTC).", True),
    ),
    ("position",),
)

COMMONS = Table(
    "commons",
    "Gedeelde lessen",
    "Lessons published for other municipalities (the latest publication of each).",
    (
        Column("experiment_id", "string", "The experiment's id.", True),
        Column("lesson_id", "string", "The published lesson's decision id.", True),
        Column("evidence_level", "string", "described, substantiated or effective.", True),
        Column("supporting", "string", "Decision ids of the findings it rests on."),
        Column("conditions", "string", "Where it holds, in the manager's words."),
        Column("published_at", "datetime", "When it was last published (UTC).", True),
        Column("position", "integer", "Place of that publication in the record.", True),
    ),
    ("experiment_id", "lesson_id"),
)

EXPERIMENTS = Table(
    "experiments",
    "Experimenten",
    "Each experiment as it stood at the end of the archive's period.",
    (
        Column("id", "string", "The experiment's id.", True),
        Column("title", "string", "Its title.", True),
        Column("neighbourhood_code", "string", "The neighbourhood's code (CBS or own).", True),
        Column("neighbourhood_name", "string", "The neighbourhood's name.", True),
        Column("themes", "string", "Its themes, space-separated."),
        Column("cycle", "integer", "The current cycle.", True),
        Column("stage", "string", "The current stage.", True),
        Column("status", "string", "active or closed.", True),
        Column("outcome", "string", "How it was closed, if it was."),
        Column("created_at", "datetime", "When it started (UTC).", True),
        Column("last_decision_at", "datetime", "When its last decision was taken (UTC).", True),
        Column("position", "integer", "Place of its last decision in the record.", True),
        Column("state", "object", "Its whole state as JSON (the API's experiment shape).", True),
    ),
    ("id",),
)

ERASURES = Table(
    "erasures",
    "Verwijderde personen",
    "People erased at their request (AVG): their sealed values can no longer be opened.",
    (
        Column("position", "integer", "Place in the record.", True),
        Column("person_id", "string", "The erased person's pseudonymous id.", True),
        Column("at", "datetime", "When they were erased (UTC).", True),
        Column("erased_by", "object", "Who erased them: role and id, as JSON.", True),
    ),
    ("position",),
)

ACCESS_RECORDS = Table(
    "access_records",
    "Inzage",
    "Every read of a history, export, past state, people list or file (AVG accountability).",
    (
        Column("id", "integer", "The record's number.", True),
        Column("at", "datetime", "When (UTC).", True),
        Column("key_id", "string", "The reader's key or session id."),
        Column("actor_id", "string", "The reader's pseudonymous id."),
        Column("role", "string", "The reader's role.", True),
        Column("reader_municipality", "string", "The reader's municipality (* for all).", True),
        Column("action", "string", "history, export, past_state, people or evidence.", True),
        Column("experiment_id", "string", "The experiment read, if one."),
        Column("detail", "object", "What exactly, as JSON.", True),
    ),
    ("id",),
)

PROGRAMMES = Table(
    "programmes",
    "Programma's",
    "Each programme (wijkaanpak) as it stood at the end of the archive's period.",
    (
        Column("id", "string", "The programme's id.", True),
        Column("name", "string", "Its name.", True),
        Column("from_year", "integer", "The first year of its period.", True),
        Column("to_year", "integer", "The last year of its period.", True),
        Column("status", "string", "active or closed.", True),
        Column("neighbourhoods", "string", "Its neighbourhoods' codes, space-separated.", True),
        Column("state", "object", "Its whole state as JSON (the API's programme shape).", True),
    ),
    ("id",),
)

PROGRAMME_DECISIONS = Table(
    "programme_decisions",
    "Programmabesluiten",
    "Every decision of every programme, in the order it was recorded.",
    (
        Column("position", "integer", "Place in the municipality's record.", True),
        Column("programme_id", "string", "The programme's id.", True),
        Column("version", "integer", "Place in the programme's own history, from 1.", True),
        Column("decision_id", "string", "The decision's id.", True),
        Column("type", "string", "create_programme, allocate_funding, report_due, …", True),
        Column("actor_id", "string", "Who took it."),
        Column("actor_role", "string", "Their role.", True),
        Column("rationale", "string", "Why."),
        Column("at", "datetime", "When it was recorded (UTC).", True),
        Column("payload", "object", "The decision's fields as JSON.", True),
    ),
    ("position",),
)

TABLES = (
    EXPERIMENTS,
    DECISIONS,
    LESSONS,
    COMMONS,
    PROGRAMMES,
    PROGRAMME_DECISIONS,
    ERASURES,
    ACCESS_RECORDS,
)


def decision_row(record: StoredRecord, kind: DecisionType) -> list[Any]:
    fields = record.fields
    actor = fields["actor"]
    return [
        record.position,
        record.originator_id,
        record.version,
        fields["decision_id"],
        kind.value,
        fields["cycle"],
        fields["stage"],
        actor.get("id", ""),
        actor.get("role", ""),
        actor.get("name") or "",
        fields["rationale"],
        fields["source"],
        record.at,
        _json(fields["payload"]),
    ]


def lesson_row(record: StoredRecord, state: ExperimentState) -> list[Any]:
    fields = record.fields
    payload = fields["payload"]
    themes = payload.get("themes") or [t.value for t in state.themes]
    return [
        record.position,
        record.originator_id,
        fields["decision_id"],
        fields["cycle"],
        fields["actor"].get("role", ""),
        " ".join(themes),
        payload.get("text", ""),
        record.at,
    ]


def publication_row(record: StoredRecord) -> list[Any]:
    payload = record.fields["payload"]
    return [
        record.originator_id,
        payload["lesson"],
        payload["evidence_level"],
        " ".join(payload.get("supporting", [])),
        payload.get("conditions") or "",
        record.at,
        record.position,
    ]


def experiment_row(state: ExperimentState, position: int) -> list[Any]:
    return [
        state.id,
        state.title,
        state.neighbourhood.code,
        state.neighbourhood.name,
        " ".join(t.value for t in state.themes),
        state.cycle,
        state.stage.value,
        state.status.value,
        state.outcome.value if state.outcome else "",
        _moment(state.created_at),
        _moment(state.updated_at),
        position,
        _json(state.to_dict()),
    ]


def programme_decision_row(record: StoredRecord, kind: str) -> list[Any]:
    fields = record.fields
    actor = fields["actor"]
    return [
        record.position,
        record.originator_id,
        record.version,
        fields["decision_id"],
        kind,
        actor.get("id", ""),
        actor.get("role", ""),
        fields["rationale"],
        record.at,
        _json(fields["payload"]),
    ]


def programme_row(state: ProgrammeState) -> list[Any]:
    return [
        state.id,
        state.name,
        state.from_year,
        state.to_year,
        "closed" if state.closed else "active",
        " ".join(state.neighbourhoods),
        _json(state.to_dict()),
    ]


def erasure_row(record: StoredRecord) -> list[Any]:
    fields = record.fields
    return [record.position, fields["person_id"], record.at, _json(fields["erased_by"])]


def access_row(record: dict[str, Any]) -> list[Any]:
    return [
        record["id"],
        _moment(record["at"]),
        str(record["key_id"]) if record["key_id"] else "",
        record["actor_id"] or "",
        record["role"],
        record["reader_municipality"],
        record["action"],
        str(record["experiment_id"]) if record["experiment_id"] else "",
        _json(record["detail"] or {}),
    ]
