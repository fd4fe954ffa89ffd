"""The `wijklab` command line."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

import structlog
import typer

from services.bootstrap import Runtime, runtime
from services.settings import get_settings
from services.temporal import TemporalDevServer, TemporalUnavailable, connect
from workflows.reconcile import reconcile
from workflows.worker import build_worker, ensure_search_attributes, run_until_stopped

app = typer.Typer(
    help="wijklab: neighbourhood experiments as learning cycles.",
    no_args_is_help=True,
    add_completion=False,
)
workflows_app = typer.Typer(
    help="Operate the experiments' Temporal workflows.", no_args_is_help=True
)
app.add_typer(workflows_app, name="workflows")
log = structlog.get_logger("wijklab")


@app.callback()
def main() -> None:
    """wijklab: neighbourhood experiments as learning cycles."""


async def _serve_worker(rt: Runtime, address: str | None = None, wait: float = 30) -> None:
    settings = rt.settings
    client = await connect(settings, address=address, wait=wait)
    await ensure_search_attributes(client)
    threads = settings.worker_activity_threads
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="activity") as executor:
        worker = build_worker(
            client,
            rt.experiments,
            task_queue=settings.temporal_task_queue,
            executor=executor,
            threads=threads,
        )
        await run_until_stopped(worker)


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
            if server:
                typer.echo(f"  Temporal UI   {server.ui_url}")
            typer.echo("  press Ctrl-C to stop")
            asyncio.run(_serve_worker(rt, address))
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
            asyncio.run(_serve_worker(rt))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab worker: {error}", err=True)
            raise typer.Exit(1) from error


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


if __name__ == "__main__":  # pragma: no cover
    app()
