"""The lessons commons as readers ask for it: every municipality's published lessons, found
in Dutch or English, and the public summary of an experiment behind them.

Nothing personal leaves here: the lesson's text shows only while nothing of its decision was
erased, a supporting finding shows its text only when it is not a person's own, and no name,
contact or pseudonymous id is selected at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from psycopg import sql

from domain.commons import EvidenceLevel
from domain.values import enum_value
from projections.read_base import ReadModelsBase
from services.infra.paging import (
    MAX_LIMIT,
    Page,
    cursor_int,
    decode_cursor,
    encode_cursor,
    page_limit,
)

# A published lesson with its experiment's public summary and its supporting findings.
_SELECT = """
    SELECT c.experiment_id, c.lesson_id, c.municipality, c.evidence_level,
           CASE WHEN cardinality(pd.erased) = 0 THEN c.conditions END AS conditions,
           c.published_at, c.first_published_at, c.position,
           l.cycle, l.themes, l.at AS learnt_at,
           CASE WHEN {visible} THEN l.text END AS text,
           e.title, e.neighbourhood_code, e.neighbourhood_name, e.themes AS experiment_themes,
           e.cycle AS experiment_cycle,
           COALESCE((
               SELECT jsonb_agg(jsonb_build_object(
                   'decision_id', f.decision_id,
                   'source', f.payload->>'source',
                   'indicator', f.payload->>'indicator',
                   'value', f.payload->>'value',
                   'cycle', f.cycle,
                   'at', f.at,
                   'text', CASE WHEN f.sealed ? 'payload.text'
                                  OR cardinality(f.erased) > 0
                                  OR f.payload->>'personal' = 'true'
                                THEN NULL ELSE f.payload->>'text' END
               ) ORDER BY f.position)
               FROM {schema}.decisions f
               WHERE f.experiment_id = c.experiment_id AND f.decision_id = ANY(c.supporting)
           ), '[]'::jsonb) AS supporting,
           {rank} AS rank
    FROM {schema}.commons c
    JOIN {schema}.lessons l ON l.experiment_id = c.experiment_id AND l.decision_id = c.lesson_id
    JOIN {schema}.decisions d ON d.position = l.position
    JOIN {schema}.decisions pd ON pd.position = c.position
    JOIN {schema}.experiments e ON e.id = c.experiment_id
"""

# A lesson's text is shown while it is nobody's own and nothing of its decision was erased.
VISIBLE = "NOT (l.erased OR l.owner IS NOT NULL OR cardinality(d.erased) > 0)"
MATCH = "(websearch_to_tsquery('dutch', %s) || websearch_to_tsquery('english', %s))"


def entry(record: dict[str, Any]) -> dict[str, Any]:
    """A published lesson as the commons answers it."""
    experiment_id = str(record["experiment_id"])
    return {
        "experiment_id": experiment_id,
        "lesson_id": record["lesson_id"],
        "municipality": record["municipality"],
        "text": record["text"],
        "erased": record["text"] is None,
        "evidence_level": record["evidence_level"],
        "conditions": record["conditions"],
        "themes": list(record["themes"]),
        "cycle": record["cycle"],
        "learnt_at": record["learnt_at"].isoformat(),
        "published_at": record["published_at"].isoformat(),
        "first_published_at": record["first_published_at"].isoformat(),
        "position": record["position"],
        "supporting": [_finding(f) for f in record["supporting"]],
        "experiment": summary(record),
    }


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The public summary of the experiment a lesson comes from."""
    return {
        "id": str(record["experiment_id"]),
        "url": f"/open/experiments/{record['experiment_id']}",
        "title": record["title"],
        "municipality": record["municipality"],
        "neighbourhood": {
            "code": record["neighbourhood_code"],
            "name": record["neighbourhood_name"],
        },
        "themes": list(record["experiment_themes"]),
        "cycle": record["experiment_cycle"],
    }


def _finding(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision_id": found["decision_id"],
        "source": found["source"],
        "indicator": found["indicator"],
        "value": found["value"],
        "cycle": found["cycle"],
        "at": found["at"],
        "text": found["text"],
    }


@dataclass
class _Filters:
    """The WHERE clause of a commons query, and its ranking when searched."""

    where: list[sql.Composable] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    rank: sql.Composable = field(default_factory=lambda: sql.SQL("0"))
    rank_params: list[Any] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        q: str | None = None,
        theme: str | None = None,
        level: str | None = None,
        municipality: str | None = None,
    ) -> _Filters:
        found = cls()
        if q is not None and q.strip():
            # Words no longer shown (an erased author's) are not found either.
            found.where.append(sql.SQL("l.search @@ " + MATCH + " AND " + VISIBLE))
            found.params += [q, q]
            found.rank = sql.SQL("ts_rank(l.search, " + MATCH + ")")
            found.rank_params = [q, q]
        if theme is not None:
            found.where.append(sql.SQL("%s = ANY(l.themes)"))
            found.params.append(theme)
        if level is not None:
            found.where.append(sql.SQL("c.evidence_level = %s"))
            found.params.append(enum_value(EvidenceLevel, level, "level").value)
        if municipality is not None:
            found.where.append(sql.SQL("c.municipality = %s"))
            found.params.append(municipality)
        return found

    def query(self, schema: sql.Composable, *extra: sql.Composable) -> sql.Composed:
        query = sql.SQL(_SELECT).format(schema=schema, rank=self.rank, visible=sql.SQL(VISIBLE))
        where = [*self.where, *extra]
        if where:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
        return query


class CommonsQueries(ReadModelsBase):
    def commons(
        self,
        *,
        q: str | None = None,
        theme: str | None = None,
        level: str | None = None,
        municipality: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page:
        """Published lessons of every municipality, best match first when searched (Dutch
        and English stemming), else latest published first."""
        size = page_limit(limit)
        filters = _Filters.of(q, theme, level, municipality)
        offset = decode_cursor(cursor, 1)
        start = cursor_int(offset[0]) if offset else 0
        query = filters.query(self.schema)
        query += sql.SQL(" ORDER BY rank DESC, c.position DESC LIMIT %s OFFSET %s")
        rows = self._rows(query, [*filters.rank_params, *filters.params, size + 1, start])
        items = [entry(r) for r in rows[:size]]
        next_cursor = encode_cursor([start + size]) if len(rows) > size else None
        return Page(items, next_cursor)

    def all_published(self, **filters: str | None) -> Iterator[dict[str, Any]]:
        """Every published lesson the filters (`q`, `theme`, `level`, `municipality`) let
        through, latest published first, read page by page along the publications'
        positions (an open-data download: each page is one indexed step, and a lesson
        published meanwhile neither repeats nor hides another)."""
        chosen = _Filters.of(**filters)
        before: int | None = None
        while True:
            after = [sql.SQL("c.position < %s")] if before is not None else []
            query = chosen.query(self.schema, *after)
            query += sql.SQL(" ORDER BY c.position DESC LIMIT %s")
            page = [*chosen.params, *([before] if before is not None else []), MAX_LIMIT]
            rows = self._rows(query, [*chosen.rank_params, *page])
            yield from (entry(r) for r in rows)
            if len(rows) < MAX_LIMIT:
                return
            before = rows[-1]["position"]

    def public_summary(self, experiment_id: UUID) -> dict[str, Any] | None:
        """An experiment's public summary with its published lessons; None unless at least
        one of its lessons is published (nothing else of it is public)."""
        query = _Filters().query(self.schema, sql.SQL("c.experiment_id = %s"))
        query += sql.SQL(" ORDER BY l.position")
        rows = self._rows(query, [experiment_id])
        if not rows:
            return None
        lessons = [entry(r) for r in rows]
        for lesson in lessons:
            del lesson["experiment"]
        return summary(rows[0]) | {"lessons": lessons}
