"""Operating the record: migrating the schema, rebuilding the read models, reconciling
workflows."""

from __future__ import annotations

import asyncio
import contextlib

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from projections.catch_up import Progress as RebuildProgress
from services.bootstrap import (
    Runtime,
    migrate_schema,
    rebuild_read_models,
    reconcile_workflows,
    runtime,
)
from services.cli.apps import app, projections_app, workflows_app
from services.infra.temporal import TemporalUnavailable


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

        report = rebuild_read_models(rt, progress=show)
        bar.update(task, completed=bar.tasks[0].total)
    typer.echo(
        f"rebuilt {report.events} events into {report.schema} in {report.seconds:.1f} s "
        f"({report.rate:,.0f} events/s)"
        + (f"; replaced {report.replaced}" if report.replaced else "")
    )


@workflows_app.command("reconcile")
def reconcile_command() -> None:
    """Restart, from the event store, the workflow of every active experiment and programme
    that lacks one."""

    async def _run(rt: Runtime) -> None:
        experiments, programmes = await reconcile_workflows(rt)
        for kind, report in (("experiments", experiments), ("programmes", programmes)):
            typer.echo(
                f"{kind}: active {report.active}, running {report.running}, "
                f"restarted {report.restarted} (closed {report.closed})"
            )

    with runtime() as rt, contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(_run(rt))
        except TemporalUnavailable as error:
            typer.echo(f"wijklab workflows reconcile: {error}", err=True)
            raise typer.Exit(1) from error


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (every process also does so as it starts)."""
    applied, version = migrate_schema()
    for migration in applied:
        typer.echo(f"applied {migration.version:04d} {migration.name}")
    typer.echo(f"schema at version {version}")
