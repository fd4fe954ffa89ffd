"""Building the API's services and serving the app with uvicorn, alone or beside a worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
import uvicorn
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from psycopg_pool import ConnectionPool

from projections.queries import ReadModels
from services.access import AccessLog
from services.api.container import Services
from services.api.main import create_app
from services.api.rate_limits import RateLimits
from services.auth import KeyStore
from services.bootstrap import Runtime
from services.database import POOL_WAIT_SECONDS, Connect
from services.decisions import DecisionService
from services.people import People
from services.secret_box import SecretBox
from services.temporal import connect
from services.webhooks import IntegrationStore
from workflows.client import ExperimentWorkflows
from workflows.worker import build_worker, ensure_search_attributes, run_until_stopped


@dataclass(frozen=True)
class Stores:
    keys: KeyStore
    integrations: IntegrationStore
    people: People
    access: AccessLog


def prepare_stores(rt: Runtime, connect: Connect | None = None) -> Stores:
    """The API's own tables, created idempotently so processes may start in any order."""
    box = SecretBox.from_setting(rt.settings.secret_key, rt.settings.data_dir)
    people = People(rt.database, box.derive("people-lookup"), connect)
    stores = Stores(
        keys=KeyStore(rt.database, people, connect),
        integrations=IntegrationStore(rt.database, box, connect),
        people=people,
        access=AccessLog(rt.database, connect),
    )
    with rt.database.ddl_lock():
        people.prepare()
        stores.keys.prepare()
        stores.integrations.prepare()
        stores.access.prepare()
    return stores


def services_for(rt: Runtime, address: str | None = None):  # type: ignore[no-untyped-def]
    @contextlib.asynccontextmanager
    async def build() -> AsyncIterator[Services]:
        settings = rt.settings
        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            rt.database.conninfo,
            min_size=1,
            max_size=8,
            kwargs={"autocommit": True},
            open=True,
            timeout=POOL_WAIT_SECONDS,
        )
        stores = await run_in_threadpool(prepare_stores, rt, pool.connection)
        client = await connect(settings, address=address, wait=30)
        read_models = ReadModels(rt.database.conninfo, rt.database.schema)
        try:
            yield Services(
                settings=settings,
                database=rt.database,
                experiments=rt.experiments,
                read_models=read_models,
                keys=stores.keys,
                integrations=stores.integrations,
                people=stores.people,
                access=stores.access,
                rate_limits=RateLimits(settings),
                temporal=client,
                decisions=DecisionService(
                    rt.experiments,
                    ExperimentWorkflows(
                        client,
                        task_queue=settings.temporal_task_queue,
                        overdue_grace_days=settings.overdue_grace_days,
                    ),
                    stores.people,
                ),
            )
        finally:
            read_models.close()
            pool.close()

    return build


def app_for(rt: Runtime, address: str | None = None) -> FastAPI:
    return create_app(services_for(rt, address))


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process that runs it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def server_for(app: FastAPI, host: str, port: int, forwarded_allow_ips: str) -> EmbeddedServer:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )
    return EmbeddedServer(config)


async def serve(
    rt: Runtime,
    stop: asyncio.Event,
    *,
    address: str | None = None,
    worker: bool = True,
    api: bool = True,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Run the worker and/or the API in this event loop until `stop` is set."""
    settings = rt.settings
    tasks: list[asyncio.Task[None]] = []
    server = None
    with ThreadPoolExecutor(
        max_workers=settings.worker_activity_threads, thread_name_prefix="activity"
    ) as executor:
        if worker:
            client = await connect(settings, address=address, wait=30)
            await ensure_search_attributes(client)
            built = build_worker(
                client,
                rt.experiments,
                task_queue=settings.temporal_task_queue,
                executor=executor,
                threads=settings.worker_activity_threads,
            )
            tasks.append(asyncio.create_task(run_until_stopped(built, stop)))
        if api:
            server = server_for(
                app_for(rt, address),
                settings.http_host,
                settings.http_port,
                settings.forwarded_allow_ips,
            )
            tasks.append(asyncio.create_task(server.serve()))
        while server is not None and not server.started and not any(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        if on_ready and not any(t.done() for t in tasks):
            on_ready()
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        if server is not None:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task is not stopped and (error := task.exception()) is not None:
                raise error
