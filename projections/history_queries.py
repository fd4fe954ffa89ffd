"""The decision history of an experiment: a page at a time, or all of it as CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from psycopg import sql

from domain.round_history import rounds_in
from projections import decisions
from projections.read_base import ReadModelsBase
from services.infra.paging import Page, cursor_int, decode_cursor, encode_cursor, page_limit
from services.infra.spreadsheet import SafeCsv


class HistoryQueries(ReadModelsBase):
    def _decisions_query(self, municipality: str | None) -> tuple[sql.Composed, list[Any]]:
        query = sql.SQL("SELECT {} FROM {}.decisions WHERE experiment_id = %s").format(
            sql.SQL(decisions.COLUMNS), self.schema
        )
        params: list[Any] = []
        if municipality is not None:
            query += sql.SQL(" AND municipality = %s")
            params.append(municipality)
        return query, params

    def decisions(
        self,
        experiment_id: UUID,
        municipality: str | None,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        language: str = "en",
    ) -> Page:
        size = page_limit(limit)
        query, params = self._decisions_query(municipality)
        after = decode_cursor(cursor, 1)
        if after is not None:
            query += sql.SQL(" AND position > %s")
            params.append(cursor_int(after[0]))
        query += sql.SQL(" ORDER BY position LIMIT %s")
        rows = self._rows(query, [experiment_id, *params, size + 1])
        items = [decisions.entry(r, language) for r in rows[:size]]
        next_cursor = encode_cursor([rows[size - 1]["position"]]) if len(rows) > size else None
        return Page(items, next_cursor)

    # The decisions an endorsement round's story is told from.
    ROUND_TYPES = (
        "revise_plan",
        "advance",
        "open_endorsement",
        "endorse",
        "object",
        "record_meeting_vote",
        "co_sign",
        "endorsement_closing",
        "endorsement_reached",
        "endorsement_failed",
    )

    def endorsement_rounds(
        self, experiment_id: UUID, municipality: str | None, *, language: str = "en"
    ) -> list[dict[str, Any]]:
        """Every endorsement round of the experiment, oldest first, with every ballot (names
        as the history shows them: sealed ones opened, erased ones said so)."""
        query, params = self._decisions_query(municipality)
        query += sql.SQL(" AND type = ANY(%s) ORDER BY position")
        rows = self._rows(query, [experiment_id, *params, list(self.ROUND_TYPES)])
        history = [decisions.entry(r, language) for r in rows]
        return [record.to_dict() for record in rounds_in(history)]

    CSV_COLUMNS = (
        "position",
        "at",
        "cycle",
        "stage",
        "type",
        "decision_id",
        "actor_id",
        "actor_role",
        "actor_name",
        "source",
        "rationale",
        "payload",
        "evidence",
    )

    CSV_CHUNK = 500

    def decisions_csv(
        self, experiment_id: UUID, municipality: str | None, language: str = "en"
    ) -> Iterator[str]:
        """The whole history as CSV, streamed from a server-side cursor, never held in memory.

        Rows go out in chunks of a few hundred: one chunk per row would cost a thread hop and
        an HTTP chunk each.
        """
        query, params = self._decisions_query(municipality)
        query += sql.SQL(" ORDER BY position")
        writer = SafeCsv()
        writer.row(self.CSV_COLUMNS)
        with (
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="decisions_csv") as rows,
        ):
            rows.itersize = self.CSV_CHUNK
            rows.execute(query, [experiment_id, *params])
            for count, r in enumerate(rows, 1):
                shown = decisions.entry(r, language)
                actor = shown["actor"]
                writer.row(
                    (
                        r["position"],
                        r["at"].isoformat(),
                        r["cycle"],
                        r["stage"],
                        r["type"],
                        r["decision_id"],
                        actor.get("id", ""),
                        actor.get("role", ""),
                        actor.get("name", ""),
                        r["source"],
                        r["rationale"],
                        json.dumps(shown["payload"], ensure_ascii=False, sort_keys=True),
                        " ".join(shown["payload"].get("evidence") or []),
                    )
                )
                if count % self.CSV_CHUNK == 0:
                    yield writer.take()
        yield writer.take()
