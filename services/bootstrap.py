"""The composition root: settings, logging, database and application wired in one place."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from services.database import Database, open_database
from services.experiments import Experiments
from services.logging import configure_logging
from services.settings import Settings, get_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    database: Database
    experiments: Experiments


def experiments_for(database: Database) -> Experiments:
    """The event store application; its tables are created under the DDL lock."""
    with database.ddl_lock():
        return Experiments(env=database.eventsourcing_env())


@contextlib.contextmanager
def runtime(settings: Settings | None = None) -> Iterator[Runtime]:
    """Everything a wijklab process needs, prepared idempotently and closed on exit."""
    settings = settings or get_settings()
    configure_logging(settings.log_format, settings.log_level)
    with open_database(settings) as database:
        experiments = experiments_for(database)
        try:
            yield Runtime(settings=settings, database=database, experiments=experiments)
        finally:
            experiments.close()
