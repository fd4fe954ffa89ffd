"""The `wijklab` command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, NoReturn

import structlog
import typer
from prometheus_client import start_http_server
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from domain.errors import DomainError
from domain.values import Role
from projections.rebuild import rebuild
from projections.runner import Progress as RebuildProgress
from projections.runner import run_projector
from services.api.serve import prepare_stores, serve
from services.auth import when
from services.bootstrap import Runtime, runtime
from services.erasure import erase_person
from services.settings import get_settings
from services.temporal import TemporalDevServer, TemporalUnavailable, connect
from workflows.reconcile import reconcile

app = typer.Typer(
    help="wijklab: neighbourhood experiments as learning cycles.",
    no_args_is_help=True,
    add_completion=False,
)
workflows_app = typer.Typer(
    help="Operate the experiments' Temporal workflows.", no_args_is_help=True
)
app.add_typer(workflows_app, name="workflows")
projections_app = typer.Typer(help="Operate the read models.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
integrations_app = typer.Typer(help="Webhook integrations.", no_args_is_help=True)
app.add_typer(integrations_app, name="integrations")
people_app = typer.Typer(
    help="People in the record: list them, erase one (AVG).", no_args_is_help=True
)
app.add_typer(people_app, name="people")
access_app = typer.Typer(help="Who read which history, export or past state.", no_args_is_help=True)
app.add_typer(access_app, name="access")
log = structlog.get_logger("wijklab")


@app.callback()
def main() -> None:
    """wijklab: neighbourhood experiments as learning cycles."""


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


def _announce(rt: Runtime, temporal: TemporalDevServer | None) -> None:
    settings = rt.settings
    url = f"http://{settings.http_host}:{settings.http_port}"
    typer.echo(f"  wijklab       {url}  (API docs {url}/docs)")
    if temporal:
        typer.echo(f"  Temporal UI   {temporal.ui_url}")
    typer.echo(f"  tokens for municipality {settings.dev_municipality!r}:")
    for role, token in _dev_tokens(rt).items():
        typer.echo(f"    {role:<18} {token}")
    typer.echo("  press Ctrl-C to stop")


@app.command()
def dev() -> None:
    """Run wijklab on one machine with the embedded default, until Ctrl-C."""
    settings = get_settings()
    with runtime(settings) as rt:
        server = None if settings.temporal_address else TemporalDevServer(settings)
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
                asyncio.run(_serve(rt, address=address, on_ready=lambda: _announce(rt, server)))
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
    with runtime() as rt:
        try:
            asyncio.run(_serve(rt, api=False))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab worker: {error}", err=True)
            raise typer.Exit(1) from error


@app.command()
def api() -> None:
    """Serve the HTTP API and pages on WIJKLAB_HTTP_HOST:WIJKLAB_HTTP_PORT."""
    with runtime() as rt:
        try:
            asyncio.run(_serve(rt, worker=False))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab api: {error}", err=True)
            raise typer.Exit(1) from error


def _start_projector(rt: Runtime, stop: threading.Event) -> threading.Thread:
    def run() -> None:
        try:
            run_projector(rt.database, stop, batch_size=rt.settings.projector_batch_size)
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
    with runtime() as rt:
        if rt.settings.projector_metrics_port:
            start_http_server(rt.settings.projector_metrics_port, addr=rt.settings.http_host)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        thread = _start_projector(rt, stop)
        while thread.is_alive():
            thread.join(timeout=0.5)


@projections_app.command("rebuild")
def rebuild_command() -> None:
    """Rebuild every read model into a new schema while the old one serves, then switch."""
    with (
        runtime() as rt,
        Progress(
            TextColumn("rebuilding read models"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} events/s"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        ) as bar,
    ):
        task = bar.add_task("rebuild", total=rt.experiments.max_position() or 1, rate="-")

        def show(step: RebuildProgress) -> None:
            bar.update(
                task, completed=step.done, total=max(step.total, 1), rate=f"{step.rate:,.0f}"
            )

        report = rebuild(rt.database, progress=show, batch_size=rt.settings.projector_batch_size)
        bar.update(task, completed=bar.tasks[0].total)
    typer.echo(
        f"rebuilt {report.events} events into {report.schema} in {report.seconds:.1f} s "
        f"({report.rate:,.0f} events/s)"
        + (f"; replaced {report.replaced}" if report.replaced else "")
    )


@workflows_app.command("reconcile")
def reconcile_command() -> None:
    """Restart, from the event store, the workflow of every active experiment that lacks one."""

    async def _run(rt: Runtime) -> None:
        client = await connect(rt.settings, wait=10)
        report = await reconcile(
            client,
            rt.experiments,
            task_queue=rt.settings.temporal_task_queue,
            overdue_grace_days=rt.settings.overdue_grace_days,
        )
        typer.echo(
            f"active {report.active}, running {report.running}, "
            f"restarted {report.restarted} (closed {report.closed})"
        )

    with runtime() as rt, contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(_run(rt))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab workflows reconcile: {error}", err=True)
            raise typer.Exit(1) from error


def _fail(command: str, error: DomainError) -> NoReturn:
    typer.echo(f"wijklab {command}: {error.message}", err=True)
    raise typer.Exit(2)


@keys_app.command("create")
def keys_create(
    role: Annotated[
        str, typer.Option(help="programme_manager, resident, evaluator, integration or admin")
    ],
    municipality: Annotated[
        str, typer.Option(help="the municipality, or * for a read-only evaluator")
    ],
    name: Annotated[str, typer.Option(help="who or what the key is for")] = "",
    contact: Annotated[str, typer.Option(help="how to reach the person (sealed)")] = "",
) -> None:
    """Create an API key; prints the token alone (it is shown only this once).

    A key for a person registers them; their name and contact are sealed with their own key.
    """
    with runtime() as rt:
        keys = prepare_stores(rt).keys
        try:
            token, _ = keys.create(role, municipality, name, contact)
        except DomainError as error:
            _fail("keys create", error)
    typer.echo(token)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never their tokens)."""
    with runtime() as rt:
        keys = prepare_stores(rt).keys
        for key in keys.list():
            typer.echo(
                f"{key['id']}  {key['role']:<18} {key['municipality']:<16} "
                f"created {when(key['created_at'])}  revoked {when(key['revoked_at'])}  {key['name']}"
            )


@keys_app.command("revoke")
def keys_revoke(key_id: uuid.UUID) -> None:
    """Revoke an API key by its id."""
    with runtime() as rt:
        keys = prepare_stores(rt).keys
        if not keys.revoke(key_id):
            typer.echo(f"wijklab keys revoke: no active key {key_id}", err=True)
            raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@people_app.command("list")
def people_list(
    municipality: Annotated[str | None, typer.Option(help="only this municipality")] = None,
) -> None:
    """List people: pseudonymous id, municipality, name (blank once erased)."""
    with runtime() as rt:
        people = prepare_stores(rt).people
        for person in people.list(municipality):
            status = f"erased {when(person.erased_at)}" if person.erased_at else "active"
            typer.echo(f"{person.person_id}  {person.municipality:<16} {status:<32} {person.name}")


@people_app.command("erase")
def people_erase(
    person_id: str,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Erase a person: delete their key and record the erasure. Cannot be undone."""
    if not yes:
        typer.confirm(f"Erase {person_id}? Their data becomes unreadable for good", abort=True)
    with runtime() as rt:
        stores = prepare_stores(rt)
        try:
            done = erase_person(
                stores.people,
                rt.experiments,
                person_id,
                erased_by={"id": "cli", "role": Role.ADMIN.value},
                scope=None,
            )
        except DomainError as error:
            _fail("people erase", error)
    typer.echo(f"erased {done.person_id} at {done.erased_at} (position {done.position})")


@access_app.command("list")
def access_list(
    municipality: Annotated[str | None, typer.Option(help="only this municipality")] = None,
    experiment: Annotated[uuid.UUID | None, typer.Option(help="only this experiment")] = None,
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 100,
) -> None:
    """Access records, newest first: when, who (key, person, role), what, which experiment."""
    with runtime() as rt:
        access = prepare_stores(rt).access
        page = access.list(municipality, experiment_id=experiment, limit=limit)
        for r in page.items:
            typer.echo(
                f"{r['at']}  {r['action']:<10} {r['role']:<18} {r['actor_id']:<36} "
                f"{r['municipality']:<16} {r['experiment_id'] or '-'}"
            )


@integrations_app.command("create")
def integrations_create(
    name: str,
    municipality: Annotated[str, typer.Option(help="the municipality it may act for")],
) -> None:
    """Create a webhook integration; prints its whsec_ secret alone."""
    with runtime() as rt:
        integrations = prepare_stores(rt).integrations
        try:
            secret = integrations.create(name, municipality)
        except DomainError as error:
            _fail("integrations create", error)
    typer.echo(secret)


@integrations_app.command("rotate")
def integrations_rotate(
    name: str,
    grace_hours: Annotated[int, typer.Option(help="hours the old secret stays valid")] = 24,
) -> None:
    """Give an integration a new secret; the old one stays valid for the grace period."""
    with runtime() as rt:
        integrations = prepare_stores(rt).integrations
        try:
            secret = integrations.rotate(name, timedelta(hours=grace_hours))
        except DomainError as error:
            _fail("integrations rotate", error)
    typer.echo(secret)


@integrations_app.command("list")
def integrations_list() -> None:
    """List integrations (never their secrets)."""
    with runtime() as rt:
        integrations = prepare_stores(rt).integrations
        for item in integrations.list():
            typer.echo(
                f"{item['name']:<24} {item['municipality']:<16} created {when(item['created_at'])}"
                f"  rotated {when(item['rotated_at'])}  revoked {when(item['revoked_at'])}"
            )


@integrations_app.command("revoke")
def integrations_revoke(name: str) -> None:
    """Revoke an integration: its deliveries are refused from now on."""
    with runtime() as rt:
        integrations = prepare_stores(rt).integrations
        if not integrations.revoke(name):
            typer.echo(f"wijklab integrations revoke: no active integration {name!r}", err=True)
            raise typer.Exit(1)
    typer.echo(f"revoked {name}")


if __name__ == "__main__":  # pragma: no cover
    app()
