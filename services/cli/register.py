"""`wijklab neighbourhoods import`: CBS's Kerncijfers wijken en buurten into the register."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from domain.register import RegisterFileInvalid
from services.bootstrap import import_register, runtime
from services.cli.apps import fail, neighbourhoods_app


@neighbourhoods_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="the CSV CBS open data exports")],
    municipality: Annotated[
        str | None, typer.Option(help="keep only this municipality's rows (its code)")
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="the year of the figures, when the file does not say it")
    ] = None,
) -> None:
    """Keep the districts and neighbourhoods of a CBS file, with their key figures of the
    year, as the register experiments start on and measure against. A file with a wrong
    header, a bad line or another encoding changes nothing and says which line."""
    try:
        data = file.read_bytes()
    except OSError as error:
        typer.echo(f"wijklab neighbourhoods import: cannot read {file}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    with runtime() as rt:
        try:
            found, kept = import_register(rt, data, municipality=municipality, year=year)
        except RegisterFileInvalid as error:
            fail("neighbourhoods import", error)
    kinds = Counter(n.kind for n in found.neighbourhoods)
    towns = sorted({n.municipality for n in found.neighbourhoods})
    typer.echo(
        f"kept {kept} ({', '.join(f'{count} {kind}' for kind, count in sorted(kinds.items()))}) "
        f"of {', '.join(towns)}, with figures of {found.year}"
    )
