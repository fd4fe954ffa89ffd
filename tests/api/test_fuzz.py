"""A schemathesis run against /openapi.json of the real API: no input a client can send gets
a server error."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from temporalio.testing import WorkflowEnvironment

from projections.runner import run_projector
from services.api.serve import prepare_stores, serve
from services.bootstrap import Runtime, experiments_for
from services.database import Database
from services.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_api(
    postgres: dict[str, str],
    dev_server: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """The API, a worker and the projector, served over real HTTP from a thread."""
    database = Database(params=postgres, schema=f"fuzz_{uuid.uuid4().hex[:8]}")
    database.ensure_schema()
    port = _free_port()
    settings_ = Settings(
        WIJKLAB_DATA_DIR=Path(tmp_path_factory.mktemp("fuzz")),
        WIJKLAB_DATABASE_SCHEMA=database.schema,
        WIJKLAB_HTTP_PORT=port,
        TEMPORAL_ADDRESS=dev_server.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=f"fuzz-{uuid.uuid4().hex[:8]}",
        WIJKLAB_WORKER_THREADS=4,
    )
    rt = Runtime(settings=settings_, database=database, experiments=experiments_for(database))
    keys, _ = prepare_stores(rt)
    token, _ = keys.create("programme_manager", "utrecht", "fuzzer")
    halt = threading.Event()
    projector = threading.Thread(target=run_projector, args=(database, halt), daemon=True)
    projector.start()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(rt, stop, on_ready=ready.set))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(60), "the API did not start"
    yield f"http://127.0.0.1:{port}", token
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=30)
    halt.set()
    projector.join(timeout=20)
    rt.experiments.close()


def _is_json(response: schemathesis.Response) -> bool:
    values = response.headers.get("content-type") or [""]
    return str(values[0]).startswith("application/json")


def test_no_server_errors(live_api: tuple[str, str]) -> None:
    base, token = live_api
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=int(os.environ.get("WIJKLAB_FUZZ_EXAMPLES", "25")),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case: schemathesis.Case) -> None:
            for headers in ({"Authorization": f"Bearer {token}"}, None):
                response = case.call(base_url=base, headers=headers, timeout=60)
                if response.status_code >= 500 and not (
                    case.path == "/readyz" and response.status_code == 503
                ):
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                    )
                if response.status_code >= 400 and _is_json(response):
                    body = response.json()
                    if "error" not in body:
                        failures.append(
                            f"{case.method} {case.formatted_path}: error without shape: {body}"
                        )

        call()
    assert not failures, "\n".join(failures[:20])
