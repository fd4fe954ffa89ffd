"""The `wijklab` command line."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import structlog
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from projections.rebuild import rebuild
from projections.runner import Progress as RebuildProgress
from projections.runner import run_projector
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
projections_app = typer.Typer(help="Operate the read models.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
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
            stop = threading.Event()
            projector_thread = _start_projector(rt, stop)
            try:
                asyncio.run(_serve_worker(rt, address))
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
            asyncio.run(_serve_worker(rt))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab worker: {error}", err=True)
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


if __name__ == "__main__":  # pragma: no cover
    app()
