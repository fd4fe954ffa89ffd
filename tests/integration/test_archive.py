"""The archive export: a municipality's 10,000 decisions as a BagIt bag that `bagit` verifies
and `frictionless` reads back, with sealed values still sealed, nothing of another
municipality, `--until` honoured, a non-empty target refused and a tampered file named."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import bagit
import pytest
from frictionless import Package
from typer.testing import CliRunner

from domain.access import Principal
from domain.decisions import DecisionType
from domain.experiment import Experiment
from domain.programme import ProgrammeDecision
from domain.values import TIMER_ACTOR, Actor, Role
from services.app.archiving import (
    ArchiveTargetNotEmpty,
    NothingToArchive,
    export_archive,
    verify_archive,
)
from services.cli import app
from services.infra.archive_reader import ArchiveReader
from services.infra.bags import BagInvalid
from services.infra.crypto import new_key, seal
from services.infra.event_store import Experiments
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.infra.programme_store import Programmes
from services.stores.access_records import AccessLog
from tests.builders import PM, decision, one_cycle, start

PERSON = "prs_" + "a" * 32
EXPERIMENT_TYPES = {t.value for t in DecisionType}
SEALED_WORDS = seal(new_key(), PERSON, "Mijn buurvrouw hielp mij met de isolatie.")


def seed(experiments: Experiments, municipality: str, decisions: int, at: datetime) -> int:
    """Experiments of `municipality`, whole cycles each, until `decisions` are recorded; the
    first holds a resident's sealed words and a published lesson. Returns the count."""
    written, pending, first = 0, [], True
    while written < decisions:
        experiment = Experiment.start(
            start(municipality=municipality), experiment_id=uuid.uuid4(), at=at
        )
        written += 1
        cycle = one_cycle()
        *learnt, onwards = cycle
        for d in learnt:
            experiment.decide(d, at=at)
            written += 1
        if first:
            experiment.decide(
                decision(
                    "record_lesson",
                    Actor(PERSON, Role.RESIDENT, SEALED_WORDS),
                    text=SEALED_WORDS,
                    themes=[],
                ),
                at=at,
            )
            lesson = next(d for d in cycle if d.type.value == "record_lesson")
            experiment.decide(
                decision(
                    "publish_lesson",
                    PM,
                    lesson=lesson.decision_id,
                    evidence_level="described",
                    supporting=[d.decision_id for d in cycle if d.type.value == "record_finding"],
                ),
                at=at,
            )
            written += 2
            first = False
        experiment.decide(onwards, at=at)
        written += 1
        pending.append(experiment)
        if len(pending) == 40:
            experiments.save(*pending)
            pending = []
    if pending:
        experiments.save(*pending)
    return written


@pytest.fixture
def record(experiments: Experiments, database: Database) -> dict[str, int]:
    migrate(database)
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    utrecht = seed(experiments, "utrecht", 10_000, at)
    seed(experiments, "zwolle", 200, at)
    later = seed(experiments, "utrecht", 30, at + timedelta(days=60))
    experiments.record_erasure(PERSON, "utrecht", {"role": "admin", "id": "key-1"})
    for town in ("utrecht", "zwolle"):
        seed_programme(experiments, town)
    reader = Principal(key_id=uuid.uuid4(), role=Role.EVALUATOR, municipality="utrecht", name="ev")
    log = AccessLog(database)
    for _ in range(3):
        log.record(reader, "history", municipality="utrecht")
    log.record(reader, "history", municipality="zwolle")
    return {"utrecht": utrecht, "later": later, "programme": 3}


def seed_programme(experiments: Experiments, municipality: str) -> None:
    """A programme of the municipality: created, funded further, a year's report due."""
    store = Programmes(experiments)
    programme_id = uuid.uuid4()
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def parse(
        kind: str, actor: Actor = PM, rationale: str | None = "besproken", **payload: object
    ) -> ProgrammeDecision:
        return ProgrammeDecision.parse(
            decision_id=uuid.uuid4().hex,
            type=kind,
            actor=actor,
            rationale=rationale,
            payload=payload,
        )

    store.create(
        parse("create_programme", rationale=None, municipality=municipality, name=f"Wijkaanpak {municipality}",
              description="Twintig jaar", neighbourhoods=["WK034403"],
              period={"from_year": 2026, "to_year": 2045}, funding=[]),
        programme_id=programme_id, at=at,
    )  # fmt: skip
    if municipality == "utrecht":
        store.decide(
            programme_id,
            parse("allocate_funding", source="sociaal domein", year=2026, amount_eur="1000"),
            at=at,
        )
        store.decide(programme_id, parse("report_due", TIMER_ACTOR, year=2026), at=at)


def test_a_municipalitys_record_exported_verified_and_read_back(
    experiments: Experiments, database: Database, record: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "archief"
    seen: list[tuple[int, int]] = []
    report = export_archive(
        ArchiveReader(experiments),
        AccessLog(database),
        municipality="utrecht",
        out=out,
        progress=lambda done, total: seen.append((done, total)),
    )
    total = record["utrecht"] + record["later"] + 1 + record["programme"]  # erasure, programme
    assert report.events == total
    assert seen[-1] == (total, total), "progress reaches the end"
    assert len(seen) > 2, "and is shown on the way"

    bag = bagit.Bag(str(out))
    bag.validate(processes=1)
    assert bag.info["Wijklab-Municipality"] == "utrecht"
    assert verify_archive(out)["Wijklab-Events"] == str(total)

    lines = (out / "data" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == total
    events = [json.loads(line) for line in lines]
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    erasure = next(e for e in events if e["type"] == "erasure")
    assert erasure["event"]["person_id"] == PERSON
    assert [e["type"] for e in events[-3:]] == [
        "create_programme",
        "allocate_funding",
        "report_due",
    ]
    assert {e["originator_id"] for e in events if e["type"] in EXPERIMENT_TYPES} == {
        e["originator_id"] for e in events if e["type"] == "start"
    }
    assert events[1]["event"]["decision_id"], "each event as it was stored"
    assert "zwolle" not in (out / "data" / "events.jsonl").read_text(encoding="utf-8")

    package = Package(str(out / "data" / "datapackage.json"))
    decisions = package.get_resource("decisions").read_rows()
    assert len(decisions) == total - 1 - record["programme"]
    (programme,) = package.get_resource("programmes").read_rows()
    assert programme["name"] == "Wijkaanpak utrecht"
    assert programme["state"]["reports_due"] == [2026]
    assert len(package.get_resource("programme_decisions").read_rows()) == 3
    assert all(field.description for r in package.resources for field in r.schema.fields)
    mine = [r for r in decisions if r["actor_id"] == PERSON]
    # The first experiment of each seeding holds her words.
    assert [r["actor_name"] for r in mine] == [SEALED_WORDS] * 2, "sealed stays sealed"
    assert mine[0]["payload"]["text"] == SEALED_WORDS
    raw = (out / "data" / "decisions.csv").read_text(encoding="utf-8")
    assert "Mijn buurvrouw" not in raw
    experiments_rows = package.get_resource("experiments").read_rows()
    assert len(experiments_rows) == len([e for e in events if e["type"] == "start"])
    assert {r["stage"] for r in experiments_rows} == {"plan"}
    assert len(package.get_resource("commons").read_rows()) == 2
    assert len(package.get_resource("erasures").read_rows()) == 1
    access = package.get_resource("access_records").read_rows()
    assert len(access) == 4, "the municipality's own access records, not another's"
    assert [(r["role"], r["action"]) for r in access][-1] == ("operator", "export"), (
        "the export is recorded before it reads"
    )


def test_until_stops_at_the_end_of_that_day_in_the_netherlands(
    experiments: Experiments, database: Database, record: dict[str, int], tmp_path: Path
) -> None:
    report = export_archive(
        ArchiveReader(experiments),
        AccessLog(database),
        municipality="utrecht",
        out=tmp_path / "tot-maart",
        until=date(2026, 3, 31),
    )
    assert report.events == record["utrecht"] + record["programme"], (
        "neither May's decisions nor the erasure"
    )


def test_an_empty_directory_receives_the_bag_and_an_unknown_municipality_nothing(
    experiments: Experiments, database: Database, tmp_path: Path
) -> None:
    migrate(database)
    seed(experiments, "utrecht", 100, datetime(2026, 3, 2, tzinfo=UTC))
    volume = tmp_path / "archiefvolume"
    volume.mkdir()
    report = export_archive(
        ArchiveReader(experiments), AccessLog(database), municipality="utrecht", out=volume
    )
    assert verify_archive(volume)["Wijklab-Events"] == str(report.events)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archiefvolume"]
    with pytest.raises(NothingToArchive):
        export_archive(
            ArchiveReader(experiments),
            AccessLog(database),
            municipality="utrcht",
            out=tmp_path / "x",
        )
    assert not (tmp_path / "x").exists()


def test_a_target_that_is_not_empty_is_refused_and_left_alone(
    experiments: Experiments, database: Database, tmp_path: Path
) -> None:
    out = tmp_path / "bezet"
    out.mkdir()
    (out / "notities.txt").write_text("van de archivaris")
    with pytest.raises(ArchiveTargetNotEmpty):
        export_archive(
            ArchiveReader(experiments), AccessLog(database), municipality="utrecht", out=out
        )
    assert [p.name for p in out.iterdir()] == ["notities.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["bezet"], "no half archive beside it"
    runner = CliRunner()
    refused = runner.invoke(app, ["export", "--municipality", "utrecht", "--out", str(out)])
    assert refused.exit_code == 2
    assert "not an empty directory" in refused.output
    bad_day = runner.invoke(
        app,
        ["export", "--municipality", "utrecht", "--out", str(tmp_path / "x"), "--until", "31-3"],
    )
    assert bad_day.exit_code == 2
    assert "not a date" in bad_day.output


def test_a_tampered_archive_is_caught_and_the_file_named(
    experiments: Experiments, database: Database, tmp_path: Path
) -> None:
    migrate(database)
    seed(experiments, "utrecht", 200, datetime(2026, 3, 2, tzinfo=UTC))
    runner = CliRunner()
    for name, change in (
        ("decisions.csv", lambda text: text.replace("besproken", "beslist", 1)),
        ("events.jsonl", lambda text: text[: len(text) // 2]),
    ):
        out = tmp_path / name
        export_archive(
            ArchiveReader(experiments), AccessLog(database), municipality="utrecht", out=out
        )
        assert runner.invoke(app, ["export", "verify", str(out)]).exit_code == 0
        target = out / "data" / name
        target.write_text(change(target.read_text(encoding="utf-8")), encoding="utf-8")
        with pytest.raises(BagInvalid) as caught:
            verify_archive(out)
        assert caught.value.path == f"data/{name}"
        failed = runner.invoke(app, ["export", "verify", str(out)])
        assert failed.exit_code == 1
        assert f"data/{name}" in failed.output
    assert runner.invoke(app, ["export", "verify", str(tmp_path / "nergens")]).exit_code == 1
