"""Scale-out on one machine: 2 workers, 2 API processes and 2 projectors share one Temporal
server and one PostgreSQL; the active projector and a worker die mid-load; nothing is lost,
doubled or left unprojected."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from uuid import UUID

import httpx
from psycopg.conninfo import make_conninfo
from temporalio.testing import WorkflowEnvironment

from projections.queries import ProjectionLagging
from services.bootstrap import read_models_for
from services.infra.event_store import Experiments
from services.infra.postgres import Database
from services.stores.api_keys import KeyStore
from services.stores.people import People
from tests.conftest import free_port, wait_ready
from tests.stored import stored_history


def _wijklab() -> str:
    found = shutil.which("wijklab", path=str(Path(sys.executable).parent))
    assert found
    return found


def _post(
    urls: list[str], n: int, path: str, body: dict[str, object], headers: dict[str, str]
) -> httpx.Response:
    """Like a real client: retry with the same Idempotency-Key, switching API on failure."""
    last: Exception | None = None
    for attempt in range(20):
        url = urls[(n + attempt) % len(urls)]
        try:
            response = httpx.post(f"{url}{path}", json=body, headers=headers, timeout=60)
        except httpx.HTTPError as error:
            last = error
        else:
            if response.status_code < 500:
                return response
            last = AssertionError(response.text)
        time.sleep(0.3)
    raise AssertionError(f"gave up on {path}: {last}")


def test_two_of_everything_and_failover(
    postgres: dict[str, str], dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    database = Database(params=postgres, schema=f"scale_{uuid.uuid4().hex[:8]}")
    database.ensure_schema()
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://?" + make_conninfo(**postgres).replace(" ", "&"),
        "WIJKLAB_DATABASE_SCHEMA": database.schema,
        "TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": f"scale-{uuid.uuid4().hex[:6]}",
        "WIJKLAB_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "WIJKLAB_DATA_DIR": str(tmp_path),
        "WIJKLAB_LOG_FORMAT": "json",
        "WIJKLAB_WORKER_THREADS": "4",
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def launch(name: str, command: str, **extra: str) -> None:
        log = (tmp_path / f"{name}.log").open("wb")
        processes[name] = subprocess.Popen(
            [_wijklab(), command], env={**env, **extra}, stderr=log, stdout=log
        )

    ports = [free_port(), free_port()]
    try:
        launch("projector-1", "projector")
        launch("projector-2", "projector")
        launch("worker-1", "worker")
        launch("worker-2", "worker")
        for n, port in enumerate(ports, 1):
            launch(f"api-{n}", "api", WIJKLAB_HTTP_PORT=str(port))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            for url in urls:
                wait_ready(url)
        except AssertionError:
            for name in processes:
                print(f"--- {name}.log\n" + (tmp_path / f"{name}.log").read_text()[-3000:])
            raise
        token, _ = KeyStore(database, People(database)).create(
            "programme_manager", "utrecht", "scale"
        )
        headers = {"Authorization": f"Bearer {token}"}

        experiment_ids = []
        for n in range(6):
            body = {
                "neighbourhood": {"code": "WK034401", "name": "Overvecht", "kind": "wijk"},
                "title": f"Experiment {n}",
                "question": "Helpt het?",
                "residents_agenda": "Bewoners vroegen erom.",
                "themes": ["health"],
            }
            started = _post(
                urls, n, "/v1/experiments", body, {**headers, "Idempotency-Key": f"start-{n}"}
            )
            assert started.status_code == 201, started.text
            experiment_ids.append(started.json()["id"])

        active = next(
            name
            for name in ("projector-1", "projector-2")
            if b"projector_active" in (tmp_path / f"{name}.log").read_bytes()
        )
        acknowledged: list[str] = []
        for n in range(60):
            if n == 20:
                processes[active].send_signal(signal.SIGKILL)
                processes["worker-1"].send_signal(signal.SIGKILL)
            key = f"plan-{n}"
            body = {
                "type": "revise_plan",
                "rationale": f"versie {n}",
                "description": f"plan {n}",
                "indicators": [{"name": "bereik", "target": n}],
            }
            answer = _post(
                urls,
                n,
                f"/v1/experiments/{experiment_ids[n % 6]}/decisions",
                body,
                {**headers, "Idempotency-Key": key},
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["decision_id"] == key
            acknowledged.append(key)

        experiments = Experiments(env=database.eventsourcing_env())
        try:
            stored = Counter(
                entry.decision_id
                for experiment_id in experiment_ids
                for entry in stored_history(experiments, UUID(experiment_id))
            )
            head = experiments.max_position()
        finally:
            experiments.close()
        assert all(stored[key] == 1 for key in acknowledged), "every acknowledged decision once"
        assert sum(stored.values()) == len(acknowledged) + len(experiment_ids)

        # The standby projector took over and the read models hold every decision.
        closing = contextlib.ExitStack()
        read_models = closing.enter_context(read_models_for(database))
        try:
            try:
                read_models.wait_for(head, timeout=60)
            except ProjectionLagging:
                for name in ("projector-1", "projector-2"):
                    print(f"--- {name}.log\n" + (tmp_path / f"{name}.log").read_text()[-3000:])
                raise
            projected = sum(
                len(read_models.decisions(UUID(e), "utrecht", limit=200).items)
                for e in experiment_ids
            )
        finally:
            closing.close()
        assert projected == sum(stored.values())
        standby = "projector-2" if active == "projector-1" else "projector-1"
        assert b"projector_active" in (tmp_path / f"{standby}.log").read_bytes()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
