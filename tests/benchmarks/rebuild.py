"""Benchmark: rebuilding the read models, against reading the same events raw.

`make bench` runs it. Prints events/s for both and their ratio; absolute numbers depend on
the machine, the ratio much less.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

from domain.experiment import Experiment
from projections.rebuild import rebuild
from services.app.archiving import ExportReport, export_archive
from services.infra.archive_reader import ArchiveReader
from services.infra.embedded_postgres import EmbeddedPostgres
from services.infra.event_store import Experiments
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.stores.access_records import AccessLog
from tests.builders import one_cycle, record_opener, start


def seed(experiments: Experiments, events: int) -> None:
    per_experiment = 1 + 2 * len(one_cycle())
    count = max(1, events // per_experiment)
    began, batch = time.monotonic(), []
    for n in range(count):
        experiment = Experiment.start(start(), experiment_id=uuid.uuid4())
        for _ in range(2):
            for d in one_cycle():
                experiment.decide(d)
        batch.append(experiment)
        # Large saves can stall in psycopg pipeline mode; a few hundred events each is safe.
        if len(batch) == 20 or n == count - 1:
            experiments.save(*batch)
            batch = []
            done = (n + 1) * per_experiment
            print(
                f"\r  seeding {done:>8,} / {count * per_experiment:,} events",
                end="",
                file=sys.stderr,
            )
    print(f"  ({time.monotonic() - began:.0f} s)", file=sys.stderr)


def raw_read(experiments: Experiments, page: int = 5000) -> tuple[int, float]:
    began, start, total = time.monotonic(), 0, 0
    while True:
        notifications = experiments.recorder.select_notifications(
            start, page, inclusive_of_start=False
        )
        if not notifications:
            break
        for n in notifications:
            experiments.mapper.to_domain_event(n)
        total += len(notifications)
        start = notifications[-1].id
    return total, time.monotonic() - began


def export(experiments: Experiments, database: Database, out: Path) -> ExportReport:
    """The seeded municipality's archive, written to `out`, with progress."""

    def show(done: int, total: int) -> None:
        print(f"\r  export {done:>8,} / {total:,} events", end="", file=sys.stderr)

    report = export_archive(
        ArchiveReader(experiments),
        AccessLog(database),
        municipality="utrecht",
        out=out,
        progress=show,
    )
    print(file=sys.stderr)
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedPostgres(Path(tmp))
        database = Database(params=embedded.start(), schema="bench")
        database.ensure_schema()
        migrate(database)
        experiments = Experiments(env=database.eventsourcing_env())
        try:
            seed(experiments, args.events)
            total, raw_seconds = raw_read(experiments)

            def show(p) -> None:  # type: ignore[no-untyped-def]
                print(
                    f"\r  rebuild {p.done:>8,} / {p.total:,} events, {p.rate:,.0f}/s",
                    end="",
                    file=sys.stderr,
                )

            report = rebuild(database, record_opener(database), progress=show)
            print(file=sys.stderr)
            raw_rate = total / raw_seconds
            print(f"raw_read_events_per_s {raw_rate:,.0f}")
            print(
                f"rebuild_events_per_s {report.rate:,.0f}  ({report.events:,} events in {report.seconds:.1f} s)"
            )
            print(f"rebuild_ratio {report.rate / raw_rate:.2f}")
            exported = export(experiments, database, Path(tmp) / "archive")
            print(f"export_events_per_s {exported.rate:,.0f}  ({exported.events:,} events)")
            print(f"export_ratio {exported.rate / raw_rate:.2f}")
        finally:
            experiments.close()
            embedded.stop()


if __name__ == "__main__":
    main()
