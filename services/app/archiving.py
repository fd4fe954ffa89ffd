"""A municipality's whole record as one archive package, and its verification.

An auditor, a university or the municipal archivist (the Archiefwet asks that records be
kept and transferable) gets every event as JSON Lines, each read model as CSV described
column by column in a Frictionless data package, and the access records, in a BagIt bag
whose checksums prove nothing changed since. Sealed values stay sealed.

Streaming throughout: events come from a server-side cursor and go straight to the files, so
memory holds one state per experiment, never the record. The package is built beside the
target and moved there only when whole: an interrupted export leaves no half archive.
"""

from __future__ import annotations

import csv
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

import structlog

from domain.decisions import DecisionType
from domain.errors import DomainError
from domain.programme import ProgrammeDecisionType, ProgrammeState
from domain.programme import begin as begin_programme
from domain.programme import evolve as evolve_programme
from domain.state import ExperimentState, begin_by, evolve_by
from services.app import archive_tables as tables
from services.infra import bags
from services.infra.archive_reader import StoredRecord

log = structlog.get_logger(__name__)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EVENTS_FILE = "events.jsonl"
PROGRESS_EVERY = 5000


class RecordSource(Protocol):
    def originators_of(self, municipality: str) -> list[str]: ...

    def count(self, originators: list[str]) -> int: ...

    def records(self, originators: list[str]) -> Iterator[StoredRecord]: ...


class AccessSource(Protocol):
    def all_of(
        self, municipality: str, until: datetime | None = None
    ) -> Iterator[dict[str, Any]]: ...

    def record_operator(
        self, action: str, *, municipality: str, operator: str, detail: dict[str, Any]
    ) -> None: ...


class ArchiveTargetNotEmpty(DomainError):
    code = "archive_target_not_empty"


class NothingToArchive(DomainError):
    """No experiment or erasure names the municipality: most likely a mistyped code."""

    code = "nothing_to_archive"


@dataclass(frozen=True)
class ExportReport:
    path: Path
    events: int
    experiments: int
    access_records: int
    last_position: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def cutoff(until: date | None) -> datetime | None:
    """The first moment after `until` (a day in the Netherlands), in UTC."""
    if until is None:
        return None
    return datetime.combine(until + timedelta(days=1), clock(0), AMSTERDAM).astimezone(UTC)


def check_target(out: Path) -> None:
    """Refuse a target that holds anything: an archive never overwrites."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArchiveTargetNotEmpty(f"{out} is not an empty directory; nothing was written")


class _Writers:
    """The open files of an export: the event lines and one CSV writer per table."""

    def __init__(self, directory: Path) -> None:
        self.events = (directory / EVENTS_FILE).open("wb", buffering=1 << 20)
        self.files: list[IO[str]] = []
        self.csv: dict[str, Any] = {}
        for table in tables.TABLES:
            handle = (directory / table.path).open(
                "w", encoding="utf-8", newline="", buffering=1 << 20
            )
            self.files.append(handle)
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(table.header)
            self.csv[table.name] = writer

    def close(self) -> None:
        self.events.close()
        for handle in self.files:
            handle.close()


def export_archive(
    record: RecordSource,
    access: AccessSource,
    *,
    municipality: str,
    out: Path,
    until: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    operator: str = "unknown",
) -> ExportReport:
    """Write municipality `municipality`'s archive to the empty (or new) directory `out`;
    `operator`, who asked, goes into the access records before anything is read."""
    out = out.resolve()
    check_target(out)
    began = time.monotonic()
    end = cutoff(until)
    originators = record.originators_of(municipality)
    if not originators:
        raise NothingToArchive(
            f"the record holds nothing of municipality {municipality!r}; check its code"
        )
    access.record_operator(
        "export",
        municipality=municipality,
        operator=operator,
        detail={"archive": str(out), "until": until.isoformat() if until else None},
    )
    staging = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        total = record.count(originators)
        writers = _Writers(staging)
        try:
            counts = _write_record(record.records(originators), writers, end, total, progress)
            access_records = 0
            for one in access.all_of(municipality, end):
                writers.csv["access_records"].writerow(tables.access_row(one))
                access_records += 1
        finally:
            writers.close()
        bags.write_package(
            staging,
            f"wijklab-{municipality}",
            f"wijklab: het dossier van gemeente {municipality}",
            tables.TABLES,
        )
        events, experiments, last = counts
        bags.make_bag(staging, _bag_info(municipality, until, events, last))
        _move_into(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report = ExportReport(out, events, experiments, access_records, last, time.monotonic() - began)
    log.info(
        "archive_exported",
        municipality=municipality,
        events=events,
        experiments=experiments,
        seconds=round(report.seconds, 2),
    )
    return report


def _move_into(staging: Path, out: Path) -> None:
    """The finished bag to `out`: renamed there, or, where `out` is an empty directory that
    stays (a mount point, the working directory), its contents moved into it."""
    if not out.exists():
        staging.rename(out)
        return
    for child in staging.iterdir():
        shutil.move(child, out / child.name)
    staging.rmdir()


def _write_record(
    records: Iterator[StoredRecord],
    writers: _Writers,
    end: datetime | None,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, int, int]:
    """Every event up to `end` into the event lines and the tables; the experiments as they
    stood at the end. Returns (events, experiments, last position)."""
    states: dict[str, tuple[ExperimentState, int]] = {}
    programmes: dict[str, ProgrammeState] = {}
    decisions = writers.csv["decisions"]
    lessons = writers.csv["lessons"]
    events_file = writers.events
    publications: dict[tuple[str, str], list[Any]] = {}
    events = last = read = 0
    for record in records:
        read += 1
        if progress is not None and read % PROGRESS_EVERY == 0:
            progress(read, total)
        at = datetime.fromisoformat(record.at)
        if end is not None and at >= end:
            continue
        events += 1
        last = record.position
        if record.stream == "programme":
            programme_kind = record.fields.get("decision_type", ProgrammeDecisionType.CREATE.value)
            events_file.write(_line(record, programme_kind))
            programmes[record.originator_id] = _programme(
                programmes.get(record.originator_id), record, programme_kind, at
            )
            writers.csv["programme_decisions"].writerow(
                tables.programme_decision_row(record, programme_kind)
            )
            continue
        kind = record.decision_type
        events_file.write(_line(record, kind.value if kind is not None else "erasure"))
        if kind is None:
            writers.csv["erasures"].writerow(tables.erasure_row(record))
            continue
        payload = record.fields["payload"]
        if kind is DecisionType.START:
            state = begin_by(record.originator_id, payload, at=at)
        else:
            state = evolve_by(states[record.originator_id][0], kind, payload, at=at)
        states[record.originator_id] = (state, record.position)
        decisions.writerow(tables.decision_row(record, kind))
        if kind is DecisionType.RECORD_LESSON:
            lessons.writerow(tables.lesson_row(record, state))
        elif kind is DecisionType.PUBLISH_LESSON:
            row = tables.publication_row(record)
            publications[(row[0], row[1])] = row
    if progress is not None:
        progress(read, total)
    for row in publications.values():
        writers.csv["commons"].writerow(row)
    for state, position in states.values():
        writers.csv["experiments"].writerow(tables.experiment_row(state, position))
    for programme in programmes.values():
        writers.csv["programmes"].writerow(tables.programme_row(programme))
    return events, len(states), last


def _programme(
    before: ProgrammeState | None, record: StoredRecord, kind: str, at: datetime
) -> ProgrammeState:
    payload = record.fields["payload"]
    if before is None:
        return begin_programme(record.originator_id, payload, at=at)
    return evolve_programme(before, ProgrammeDecisionType(kind), payload, at=at)


def _line(record: StoredRecord, kind: str) -> bytes:
    """The event as stored, with where it is in the record: one line of `events.jsonl`."""
    return (
        b'{"position":%d,"originator_id":"%s","version":%d,"type":"%s","event":'
        % (record.position, record.originator_id.encode(), record.version, kind.encode())
        + record.state
        + b"}\n"
    )


def _bag_info(municipality: str, until: date | None, events: int, last: int) -> dict[str, str]:
    return {
        "Source-Organization": f"gemeente {municipality}",
        "External-Description": (
            "wijklab: every decision of the municipality's neighbourhood experiments as "
            "events (events.jsonl: position, originator_id, version, type, and the event as "
            'stored, where a timestamp reads {"_type_": "datetime_iso", "_data_": '
            "ISO 8601}), each read model, the erasures and the access records as CSV "
            "described in datapackage.json. Values starting with 'sealed:' are personal data "
            "sealed with their person's key."
        ),
        "Bag-Software-Agent": "wijklab",
        "Wijklab-Municipality": municipality,
        "Wijklab-Until": until.isoformat() if until else "",
        "Wijklab-Events": str(events),
        "Wijklab-Last-Position": str(last),
    }


def verify_archive(directory: Path) -> dict[str, str]:
    """Check an archive: the bag's checksums and the CSVs against their data package. Raises
    `bags.BagInvalid` naming the file that fails."""
    return bags.verify(directory)
