"""The processes: `wijklab dev`, `api`, `worker` and `projector`, and the loop that runs the
API and the worker in one event loop until a signal stops them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import structlog
import typer
from prometheus_client import start_http_server

from services.api.serve import server_for
from services.bootstrap import (
    Runtime,
    prepare_stores,
    run_read_models,
    runtime,
    start_outbox,
    worker_for,
    worker_stores,
)
from services.cli.apps import app
from services.cli.dev_sign_in import local_provider, one_time_links
from services.infra.temporal import TemporalDevServer, TemporalUnavailable
from services.settings import get_settings
from services.web import app_for
from workflows import search_attributes
from workflows.worker import run_until_stopped

log = structlog.get_logger("wijklab")


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
    with (
        ThreadPoolExecutor(
            max_workers=settings.worker_activity_threads, thread_name_prefix="activity"
        ) as executor,
        contextlib.ExitStack() as resources,
    ):
        outbox_stop = threading.Event()
        outbox: threading.Thread | None = None
        if worker:
            stores = resources.enter_context(worker_stores(rt))
            built = await worker_for(rt, executor, address, stores)
            tasks.append(asyncio.create_task(run_until_stopped(built, stop)))
            outbox = start_outbox(rt, built.client, outbox_stop, stores)
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
        outbox_stop.set()
        if outbox is not None:
            await asyncio.to_thread(outbox.join, 20)
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task is not stopped and (error := task.exception()) is not None:
                raise error


async def _serve(
    rt: Runtime,
    *,
    address: str | None = None,
    worker: bool = True,
    api: bool = True,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(rt, stop, address=address, worker=worker, api=api, on_ready=on_ready)


DEV_TOKENS = "dev-tokens.json"
DEV_ROLES = ("programme_manager", "resident", "evaluator", "integration", "admin")


def _dev_tokens(rt: Runtime) -> dict[str, str]:
    """Ready-made tokens for `wijklab dev`, one per role, kept in the data directory so
    they survive restarts (development only: production tokens are shown once)."""
    keys = prepare_stores(rt).keys
    path = rt.settings.data_dir / DEV_TOKENS
    tokens: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for role in DEV_ROLES:
        if role not in tokens or keys.authenticate(tokens[role]) is None:
            tokens[role], _ = keys.create(role, rt.settings.dev_municipality, f"dev {role}")
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens


def _announce(rt: Runtime, temporal: TemporalDevServer | None, issuer: str | None) -> None:
    settings = rt.settings
    url = settings.base_url
    typer.echo(f"  wijklab       {url}  (API docs {url}/docs, mail {url}/dev/mail)")
    if temporal:
        typer.echo(f"  Temporal UI   {temporal.ui_url}")
    if issuer:
        typer.echo(
            f"  OpenID        {issuer} (sign in as petra, els or bram from the sign-in page)"
        )
    typer.echo(f"  one-time sign-in links for municipality {settings.dev_municipality!r}:")
    for role, link in one_time_links(rt).items():
        typer.echo(f"    {role:<18} {link}")
    typer.echo("  API tokens:")
    for role, token in _dev_tokens(rt).items():
        typer.echo(f"    {role:<18} {token}")
    typer.echo("  press Ctrl-C to stop")


@app.command()
def dev(
    oidc: Annotated[
        bool, typer.Option("--oidc", help="also run a local OpenID provider for staff sign-in")
    ] = False,
    oidc_port: Annotated[int, typer.Option(help="the local OpenID provider's port")] = 8300,
) -> None:
    """Run wijklab on one machine with the embedded default, until Ctrl-C."""
    settings = get_settings()
    with runtime(settings) as rt, contextlib.ExitStack() as extras:
        issuer = extras.enter_context(local_provider(rt, oidc_port)) if oidc else None
        server = (
            None
            if settings.temporal_address
            else TemporalDevServer(settings, search_attributes.ALL)
        )
        try:
            address = server.start() if server else settings.temporal_address
            where = (
                f"embedded PostgreSQL, data in {settings.data_dir.resolve()}"
                if settings.uses_embedded_database
                else "PostgreSQL from DATABASE_URL"
            )
            typer.echo(f"wijklab dev: {where}")
            typer.echo(
                f"  event store   schema {rt.database.schema}, position {rt.experiments.max_position()}"
            )
            typer.echo(f"  Temporal      {address}, task queue {settings.temporal_task_queue}")
            stop = threading.Event()
            projector_thread = _start_projector(rt, stop)
            try:
                asyncio.run(
                    _serve(rt, address=address, on_ready=lambda: _announce(rt, server, issuer))
                )
            finally:
                stop.set()
                projector_thread.join(timeout=15)
        except TemporalUnavailable as error:
            typer.echo(f"wijklab dev: {error}", err=True)
            raise typer.Exit(1) from error
        finally:
            if server:
                server.stop()
    typer.echo("wijklab dev: stopped")


@app.command()
def worker() -> None:
    """Run workflows and activities (production: set DATABASE_URL and TEMPORAL_ADDRESS)."""
    with runtime(process="wijklab-worker") as rt:
        try:
            asyncio.run(_serve(rt, api=False))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab worker: {error}", err=True)
            raise typer.Exit(1) from error


@app.command()
def api() -> None:
    """Serve the HTTP API and pages on WIJKLAB_HTTP_HOST:WIJKLAB_HTTP_PORT."""
    with runtime(process="wijklab-api") as rt:
        try:
            asyncio.run(_serve(rt, worker=False))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab api: {error}", err=True)
            raise typer.Exit(1) from error


def _start_projector(rt: Runtime, stop: threading.Event) -> threading.Thread:
    def run() -> None:
        try:
            run_read_models(rt, stop)
        except Exception:
            log.exception("projector_failed")
            stop.set()

    thread = threading.Thread(target=run, name="projector", daemon=True)
    thread.start()
    return thread


@app.command()
def projector() -> None:
    """Keep the read models up to date (one active projector per database; others stand by)."""
    stop = threading.Event()
    with runtime(process="wijklab-projector") as rt:
        if rt.settings.projector_metrics_port:
            start_http_server(rt.settings.projector_metrics_port, addr=rt.settings.http_host)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        thread = _start_projector(rt, stop)
        while thread.is_alive():
            thread.join(timeout=0.5)
