"""Benchmark: a programme of 20 neighbourhoods, 200 experiments and five years of decisions —
its page (`programme_page_p95_ms`) and the council's PDF report (`report_pdf_s`).

`make bench` runs it as one of its phases, against the same API, worker and projector.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from domain.experiment import Experiment
from domain.programme import ProgrammeDecision
from domain.values import Actor, Role
from services.infra.event_store import Experiments
from services.infra.programme_store import Programmes
from tests.builders import PLAN, PM, RESIDENT, decision, start

NEIGHBOURHOODS = 20
EXPERIMENTS = 200
YEARS = (2022, 2023, 2024, 2025, 2026)
MEASURED = {
    "name": "veiligheidsgevoel",
    "unit": "%",
    "baseline": {"value": 50, "at": "2021", "source": "Veiligheidsmonitor 2021"},
    "target": 70,
}


def _code(n: int) -> str:
    return f"WK9999{n:02d}"


def seed_programme(
    experiments: Experiments, municipality: str, progress: Callable[[str, int, int], None]
) -> tuple[uuid.UUID, int]:
    """The programme and its experiments, each a cycle a year with measurements, a plan
    and a lesson; returns its id and the last position written."""
    pm = Actor("pm-1", Role.PROGRAMME_MANAGER, "Petra Manager")
    programme_id = uuid.uuid4()
    Programmes(experiments).create(
        ProgrammeDecision.parse(
            decision_id=uuid.uuid4().hex,
            type="create_programme",
            actor=pm,
            rationale=None,
            payload={
                "municipality": municipality,
                "name": "Wijkaanpak benchmark",
                "description": "Twintig wijken, vijf jaar",
                "neighbourhoods": [_code(n) for n in range(NEIGHBOURHOODS)],
                "period": {"from_year": YEARS[0], "to_year": YEARS[-1] + 10},
                "funding": [
                    {"source": source, "year": year, "amount_eur": "250000"}
                    for year in YEARS
                    for source in ("sociaal domein", "fysiek", "energietransitie")
                ],
            },
        ),
        programme_id=programme_id,
        at=datetime(YEARS[0], 1, 10, tzinfo=UTC),
    )
    pending = []
    for n in range(EXPERIMENTS):
        code = _code(n % NEIGHBOURHOODS)
        experiment = Experiment.start(
            start(
                municipality=municipality,
                neighbourhood={"code": code, "name": f"Wijk {n % NEIGHBOURHOODS}", "kind": "wijk"},
                programme_id=str(programme_id),
            ),
            experiment_id=uuid.uuid4(),
            at=datetime(YEARS[0], 2, 1, tzinfo=UTC),
        )
        for i, year in enumerate(YEARS):
            at = datetime(year, 3, 1 + n % 20, tzinfo=UTC)
            for step in (
                decision("revise_plan", **PLAN | {"indicators": [MEASURED]}),
                decision("endorse_plan", RESIDENT),
                decision("advance", to="act"),
                decision("record_finding", RESIDENT, text="enquête", source="residents",
                         indicator="veiligheidsgevoel", value=45 + i + n % 7),
                decision("record_finding", PM, text="monitor", source="data",
                         indicator="veiligheidsgevoel", value=52 + 2 * i),
                decision("advance", to="evaluate"),
                decision("advance", to="learn"),
                decision("record_lesson", PM, text=f"Les {year} van experiment {n}",
                         themes=["safety"]),
                decision("advance", to="plan"),
            ):  # fmt: skip
                experiment.decide(step, at=at)
        pending.append(experiment)
        if len(pending) == 10 or n == EXPERIMENTS - 1:
            experiments.save(*pending)
            pending = []
            progress("programme's experiments", n + 1, EXPERIMENTS)
    return programme_id, experiments.max_position()


def programme_reads(
    http: httpx.Client, programme_id: uuid.UUID, pages: int = 100
) -> tuple[float, float]:
    """The programme page's p95 over `pages` reads, in ms; the report's PDF, in s (the
    median of three)."""
    times = []
    for _ in range(pages):
        began = time.perf_counter()
        answer = http.get(f"/v1/programmes/{programme_id}")
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["experiments"]) == EXPERIMENTS
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    reports = []
    for _ in range(3):
        began = time.perf_counter()
        pdf = http.get(
            f"/v1/programmes/{programme_id}/report",
            params={"year": YEARS[-1]},
            headers={"Accept": "application/pdf"},
        )
        reports.append(time.perf_counter() - began)
        assert pdf.status_code == 200, pdf.text[:300]
        assert pdf.content.startswith(b"%PDF")
    return p95, statistics.median(reports)
