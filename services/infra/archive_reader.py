"""One municipality's events read straight from the event store's table, for its archive.

An export reads a whole record once, so it skips what a domain event costs to build: each
stored event comes back as its JSON bytes exactly as stored (the archive keeps them so),
decoded once with `orjson`, with its decision type told from its topic. The one value the
event store's JSON wraps (`timestamp`, as `{"_type_": "datetime_iso", "_data_": …}`) is
unwrapped here; payloads are plain JSON.

Pages follow the position index (`notification_id`), filtered to the municipality's
experiments and erasures, so nothing is sorted and memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

import orjson
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.rows import tuple_row

from domain.decisions import DecisionType
from domain.experiment import EVENT_CLASSES, Experiment
from domain.people import Erasure
from domain.programme_record import Programme
from services.infra.event_store import Experiments

_TYPES: dict[str, DecisionType | None] = {
    get_topic(Experiment.Started): DecisionType.START,
    **{get_topic(cls): kind for kind, cls in EVENT_CLASSES.items()},
    get_topic(Erasure.Recorded): None,
    get_topic(Programme.Created): None,
    get_topic(Programme.Decided): None,
}
# Which stream an event belongs to, where its topic does not say a decision type.
_STREAMS = {
    get_topic(Erasure.Recorded): "erasure",
    get_topic(Programme.Created): "programme",
    get_topic(Programme.Decided): "programme",
}


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One stored event: where it is, whose, what kind (an experiment's decision type, else
    None), when (ISO 8601), its fields, its bytes as stored, and its stream (experiment,
    programme or erasure)."""

    position: int
    originator_id: str
    version: int
    decision_type: DecisionType | None
    at: str
    fields: dict[str, Any]
    state: bytes
    stream: str = "experiment"


class ArchiveReader:
    def __init__(self, experiments: Experiments, page: int = 5000) -> None:
        recorder = cast(PostgresApplicationRecorder, experiments.recorder)
        self.datastore = recorder.datastore
        self.table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        self.page = page

    def originators_of(self, municipality: str) -> list[str]:
        """The municipality's experiments and programmes (their first event names it) and
        erasures."""
        query = sql.SQL(
            "SELECT originator_id::text AS id FROM {} WHERE originator_version = 1 AND ("
            " (topic = %(started)s AND"
            "  convert_from(state, 'UTF8')::jsonb #>> '{{payload,municipality}}' = %(m)s)"
            " OR (topic = %(erasure)s AND"
            "  convert_from(state, 'UTF8')::jsonb ->> 'municipality' = %(m)s)"
            " OR (topic = %(programme)s AND"
            "  convert_from(state, 'UTF8')::jsonb #>> '{{payload,municipality}}' = %(m)s))"
        ).format(self.table)
        params = {
            "m": municipality,
            "started": get_topic(Experiment.Started),
            "erasure": get_topic(Erasure.Recorded),
            "programme": get_topic(Programme.Created),
        }
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, params)
            return [row["id"] for row in cursor.fetchall()]

    def count(self, originators: list[str]) -> int:
        query = sql.SQL("SELECT count(*) AS n FROM {} WHERE originator_id = ANY(%s::uuid[])")
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(query.format(self.table), ("{" + ",".join(originators) + "}",))
            row = cursor.fetchone()
            return int(row["n"]) if row else 0

    def records(self, originators: list[str]) -> Iterator[StoredRecord]:
        """The events of `originators`, in the order they were recorded."""
        query = sql.SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state"
            " FROM {} WHERE notification_id > %s AND originator_id = ANY(%s::uuid[])"
            " ORDER BY notification_id LIMIT %s"
        ).format(self.table)
        # The ids as one array literal, sent as it is with every page (not taken apart and
        # put together again each time).
        ids = "{" + ",".join(originators) + "}"

        def page(after: int) -> list[tuple[Any, ...]]:
            with (
                self.datastore.get_connection() as conn,
                conn.cursor(row_factory=tuple_row) as cursor,
            ):
                cursor.execute(query, (after, ids, self.page))
                return cursor.fetchall()

        # The next page is read while this one is turned into records: the database works
        # on its own core meanwhile.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-read") as ahead:
            rows = page(0)
            while rows:
                following = ahead.submit(page, rows[-1][0]) if len(rows) == self.page else None
                for position, originator_id, version, topic, stored in rows:
                    state = bytes(stored)
                    fields = orjson.loads(state)
                    yield StoredRecord(
                        position,
                        originator_id,
                        version,
                        _TYPES[topic],
                        fields["timestamp"]["_data_"],
                        fields,
                        state,
                        _STREAMS.get(topic, "experiment"),
                    )
                rows = following.result() if following is not None else []
