"""`wijklab report programme`: the council's yearly report on a programme, as PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from services.bootstrap import read_models_for, runtime
from services.cli.apps import report_app
from services.ui.report import PdfUnavailable, report_html, report_pdf


@report_app.command("programme")
def programme_report(
    programme_id: Annotated[UUID, typer.Argument(help="the programme's id")],
    year: Annotated[int, typer.Option(help="the year the report is about")],
    out: Annotated[Path, typer.Option(help="the PDF to write")],
) -> None:
    """Write the council's report on a programme for a year as PDF (Dutch numbers and
    dates): its neighbourhoods' experiments, how residents endorsed, indicators against
    targets, funding allocated against planned, divergences and the year's lessons."""
    with runtime() as rt, read_models_for(rt.database) as read_models:
        found = read_models.programme_report(programme_id, None, year)
    if found is None:
        typer.echo(f"wijklab report programme: no programme {programme_id}", err=True)
        raise typer.Exit(2)
    period = found["period"]
    if not period["from_year"] <= year <= period["to_year"]:
        typer.echo(
            f"wijklab report programme: {year} is outside the period "
            f"{period['from_year']}-{period['to_year']}",
            err=True,
        )
        raise typer.Exit(2)
    try:
        pdf = report_pdf(report_html(found, "nl", standalone=True))
    except PdfUnavailable as missing:
        typer.echo(f"wijklab report programme: {missing}", err=True)
        raise typer.Exit(1) from None
    out.write_bytes(pdf)
    typer.echo(f"wrote the {year} report on {found['name']} to {out} ({len(pdf):,} bytes)")
