"""`wijklab export`: a municipality's whole record as a verifiable archive package, and
`wijklab export verify` to check one."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.app.archiving import (
    ArchiveTargetNotEmpty,
    NothingToArchive,
    check_target,
    verify_archive,
)
from services.bootstrap import export_municipality, runtime
from services.cli.apps import export_app, fail
from services.infra.bags import BagInvalid


@export_app.callback(invoke_without_command=True)
def export(
    ctx: typer.Context,
    municipality: Annotated[
        str | None, typer.Option("--municipality", help="the municipality's code")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="an empty or new directory for the bag")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="the last day to include, YYYY-MM-DD")
    ] = None,
) -> None:
    """Write a municipality's archive: a BagIt bag with every event (JSON Lines), each read
    model as CSV in a Frictionless data package, and the access records."""
    if ctx.invoked_subcommand is not None:
        return
    if not municipality or out is None:
        typer.echo("wijklab export: give --municipality and --out", err=True)
        raise typer.Exit(2)
    last_day = None
    if until is not None:
        try:
            last_day = date.fromisoformat(until)
        except ValueError:
            typer.echo(f"wijklab export: --until {until!r} is not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from None
    try:
        check_target(out)  # before the database is opened: refuse at once
    except ArchiveTargetNotEmpty as error:
        fail("export", error)
    with (
        runtime() as rt,
        Progress(
            TextColumn(f"exporting {municipality}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        ) as bar,
    ):
        task = bar.add_task("export", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        try:
            report = export_municipality(rt, municipality, out, last_day, progress=show)
        except (ArchiveTargetNotEmpty, NothingToArchive) as error:
            fail("export", error)
    experiments = "1 experiment" if report.experiments == 1 else f"{report.experiments} experiments"
    records = (
        "1 access record"
        if report.access_records == 1
        else f"{report.access_records} access records"
    )
    typer.echo(
        f"exported {report.events} events of {experiments} and {records} "
        f"to {report.path} in {report.seconds:.1f} s "
        f"({report.rate:,.0f} events/s); check it with: wijklab export verify {report.path}"
    )


@export_app.command("verify")
def verify(directory: Annotated[Path, typer.Argument(help="the bag's directory")]) -> None:
    """Check an archive: every file against the bag's checksums, every CSV against its data
    package. Names the file that fails."""
    try:
        info = verify_archive(directory)
    except BagInvalid as error:
        typer.echo(f"wijklab export verify: {error.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"valid: {directory} ({info.get('Source-Organization', '?')}, "
        f"{info.get('Wijklab-Events', '?')} events, bagged {info.get('Bagging-Date', '?')})"
    )
