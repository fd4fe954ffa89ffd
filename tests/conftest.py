"""Shared fixtures: one real embedded PostgreSQL per test run, a fresh schema per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.database import Database, EmbeddedPostgres
from services.experiments import Experiments
from services.logging import configure_logging


@pytest.fixture(scope="session", autouse=True)
def _logging() -> None:
    configure_logging("console", "WARNING")


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real PostgreSQL server from the installed wheel, for the whole test run."""
    embedded = EmbeddedPostgres(Path(tmp_path_factory.mktemp("pg")))
    params = embedded.start()
    yield params
    embedded.stop()


@pytest.fixture
def database(postgres: dict[str, str]) -> Iterator[Database]:
    """A database with a schema of its own, so that tests never see each other's events."""
    database = Database(params=postgres, schema=f"t_{uuid.uuid4().hex[:12]}")
    database.ensure_schema()
    yield database
    with database.connect(autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {database.schema} CASCADE")


@pytest.fixture
def experiments(database: Database) -> Iterator[Experiments]:
    app = Experiments(env=database.eventsourcing_env())
    yield app
    app.close()
