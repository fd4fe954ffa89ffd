"""Programmes as their readers ask for them: the list of a municipality's, and one with its
experiments by stage, its funding allocated against what its experiments planned (per pot
and year, every cycle's plan), the progress of their indicators, and its decisions."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import sql

from projections import programmes
from projections.read_base import ReadModelsBase


class ProgrammeQueries(ReadModelsBase):
    def programmes(self, municipality: str | None) -> list[dict[str, Any]]:
        query = sql.SQL("SELECT doc FROM {}.programmes").format(self.schema)
        params: list[Any] = []
        if municipality is not None:
            query += sql.SQL(" WHERE municipality = %s")
            params.append(municipality)
        query += sql.SQL(" ORDER BY from_year DESC, name")
        return [dict(r["doc"]) for r in self._rows(query, params)]

    def programme(self, programme_id: UUID, municipality: str | None) -> dict[str, Any] | None:
        """The programme, with what its experiments add to it."""
        query = sql.SQL("SELECT doc FROM {}.programmes WHERE id = %s").format(self.schema)
        params: list[Any] = [programme_id]
        if municipality is not None:
            query += sql.SQL(" AND municipality = %s")
            params.append(municipality)
        found = self._rows(query, params)
        if not found:
            return None
        doc: dict[str, Any] = dict(found[0]["doc"])
        experiments = self._rows(
            sql.SQL(
                "SELECT id, title, neighbourhood_code, neighbourhood_name, stage, status, doc "
                "FROM {}.experiments WHERE doc->>'programme_id' = %s ORDER BY created_at"
            ).format(self.schema),
            [str(programme_id)],
        )
        stages: dict[str, int] = defaultdict(int)
        planned: dict[tuple[int, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
        indicators = []
        for e in experiments:
            stages["closed" if e["status"] == "closed" else e["stage"]] += 1
            for line in e["doc"].get("planned_eur", ()):
                planned[(line["year"], line["source"])] += Decimal(line["amount_eur"])
            for indicator in e["doc"].get("indicators", ()):
                indicators.append(
                    {
                        "experiment_id": str(e["id"]),
                        "experiment_title": e["title"],
                        "neighbourhood_code": e["neighbourhood_code"],
                        "name": indicator["name"],
                        "unit": indicator["unit"],
                        "progress": indicator["progress"],
                        "divergence": indicator["divergence"],
                    }
                )
        allocated = {
            (a["year"], a["source"]): Decimal(a["amount_eur"]) for a in doc["allocated_eur"]
        }
        doc["experiments"] = [
            {
                "id": str(e["id"]),
                "title": e["title"],
                "neighbourhood": {"code": e["neighbourhood_code"], "name": e["neighbourhood_name"]},
                "stage": e["stage"],
                "status": e["status"],
            }
            for e in experiments
        ]
        doc["experiments_by_stage"] = dict(sorted(stages.items()))
        doc["funding_by_year"] = [
            {
                "source": source,
                "year": year,
                "allocated_eur": str(allocated.get((year, source), Decimal("0.00"))),
                "planned_eur": str(planned.get((year, source), Decimal("0.00"))),
            }
            for year, source in sorted(set(allocated) | set(planned))
        ]
        doc["indicators"] = indicators
        return doc

    def programme_report(
        self, programme_id: UUID, municipality: str | None, year: int
    ) -> dict[str, Any] | None:
        """What the council's yearly report says of a programme: the programme as
        `programme()` answers, per neighbourhood its experiments (stage, how residents
        endorsed, indicators), the divergences, and the lessons learnt in `year` (none that
        is a person's own words: the report goes to the council)."""
        found = self.programme(programme_id, municipality)
        if found is None:
            return None
        docs = [
            dict(r["doc"])
            for r in self._rows(
                sql.SQL(
                    "SELECT doc FROM {}.experiments WHERE doc->>'programme_id' = %s "
                    "ORDER BY neighbourhood_code, created_at"
                ).format(self.schema),
                [str(programme_id)],
            )
        ]
        lessons = self._rows(
            sql.SQL(
                "SELECT l.experiment_title, l.text, l.themes, l.cycle, l.at, l.erased "
                "FROM {}.lessons l JOIN {}.experiments e ON e.id = l.experiment_id "
                "WHERE e.doc->>'programme_id' = %s AND l.owner IS NULL "
                "AND extract(year FROM l.at AT TIME ZONE 'Europe/Amsterdam') = %s "
                "ORDER BY l.at"
            ).format(self.schema, self.schema),
            [str(programme_id), year],
        )
        closed = self._rows(
            sql.SQL(
                "SELECT e.title, e.neighbourhood_name, d.type, d.cycle, d.payload, d.at "
                "FROM {}.decisions d JOIN {}.experiments e ON e.id = d.experiment_id "
                "WHERE e.doc->>'programme_id' = %s "
                "AND d.type IN ('endorsement_reached', 'endorsement_failed', 'endorse_plan') "
                "AND extract(year FROM d.at AT TIME ZONE 'Europe/Amsterdam') = %s "
                "ORDER BY d.at"
            ).format(self.schema, self.schema),
            [str(programme_id), year],
        )
        found["year"] = year
        found["residents_say"] = _residents_say([_round_closed(r) for r in closed])
        found["neighbourhood_reports"] = _report_neighbourhoods(found, docs)
        found["divergences"] = [i for i in found["indicators"] if i["divergence"]]
        found["lessons_of_the_year"] = [
            {
                "experiment_title": r["experiment_title"],
                "text": r["text"],
                "themes": list(r["themes"]),
                "cycle": r["cycle"],
                "at": r["at"].isoformat(),
            }
            for r in lessons
            if not r["erased"] and r["text"]
        ]
        return found

    def programme_decisions(
        self, programme_id: UUID, municipality: str | None
    ) -> list[dict[str, Any]]:
        query = sql.SQL("SELECT * FROM {}.programme_decisions WHERE programme_id = %s").format(
            self.schema
        )
        params: list[Any] = [programme_id]
        if municipality is not None:
            query += sql.SQL(" AND municipality = %s")
            params.append(municipality)
        query += sql.SQL(" ORDER BY version")
        return [programmes.entry(r) for r in self._rows(query, params)]


def _round_closed(record: dict[str, Any]) -> dict[str, Any]:
    """A plan put to residents that was settled in the report's year: a round's outcome with
    its count, or (before rounds) the one endorsement on the residents' behalf."""
    payload = record["payload"]
    rounds = record["type"] != "endorse_plan"
    return {
        "experiment_title": record["title"],
        "neighbourhood": record["neighbourhood_name"],
        "cycle": record["cycle"],
        "outcome": {"endorsement_reached": "reached", "endorsement_failed": "failed"}.get(
            record["type"], "endorsed"
        ),
        "round": payload.get("round") if rounds else None,
        "endorsements": payload.get("endorsements") if rounds else None,
        "objections": payload.get("objections") if rounds else None,
        "needed": payload.get("needed") if rounds else None,
        "at": record["at"].isoformat(),
    }


def _residents_say(settled: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The year's plans put to residents, summed per neighbourhood: how many were settled,
    reached, failed or endorsed on the residents' behalf, and the votes for and against (a
    council reads a programme of two hundred experiments by its neighbourhoods)."""
    by_place: dict[str, dict[str, Any]] = {}
    for one in settled:
        place = by_place.setdefault(
            one["neighbourhood"],
            {
                "neighbourhood": one["neighbourhood"],
                "settled": 0,
                "reached": 0,
                "failed": 0,
                "endorsed": 0,
                "endorsements": 0,
                "objections": 0,
                "last_at": one["at"],
            },
        )
        place["settled"] += 1
        place[one["outcome"]] += 1
        place["endorsements"] += one["endorsements"] or 0
        place["objections"] += one["objections"] or 0
        place["last_at"] = max(place["last_at"], one["at"])
    return sorted(by_place.values(), key=lambda p: str(p["neighbourhood"]))


def _report_neighbourhoods(programme: dict[str, Any], docs: list[dict[str, Any]]) -> list[Any]:
    """Per neighbourhood of the programme: its experiments, each with stage, how residents
    endorsed its plan, and its indicators."""
    by_code: dict[str, dict[str, Any]] = {
        code: {"code": code, "name": code, "experiments": []}
        for code in programme["neighbourhoods"]
    }
    for doc in docs:
        code = doc["neighbourhood"]["code"].upper()
        place = by_code.setdefault(code, {"code": code, "name": code, "experiments": []})
        place["name"] = doc["neighbourhood"]["name"]
        round_ = doc.get("endorsement") or {}
        place["experiments"].append(
            {
                "id": doc["id"],
                "title": doc["title"],
                "stage": doc["stage"],
                "status": doc["status"],
                "cycle": doc["cycle"],
                "endorsed": doc["plan"]["endorsed"],
                "round": {
                    "status": round_.get("status"),
                    "endorsements": round_.get("endorsements"),
                    "needed": round_.get("needed"),
                    "meetings": len(round_.get("meetings") or []),
                }
                if round_
                else None,
                "indicators": doc.get("indicators", []),
            }
        )
    return list(by_code.values())
