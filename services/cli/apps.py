"""The `wijklab` command and its groups, which the command modules add their commands to."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

import typer

from domain.errors import DomainError

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
invitations_app = typer.Typer(
    help="Invitations for residents, partners and staff.", no_args_is_help=True
)
app.add_typer(invitations_app, name="invitations")
identity_app = typer.Typer(
    help="The municipalities' OpenID providers, for staff sign-in.", no_args_is_help=True
)
app.add_typer(identity_app, name="identity-providers")
report_app = typer.Typer(
    help="Reports: the council's yearly report on a programme.", no_args_is_help=True
)
app.add_typer(report_app, name="report")
neighbourhoods_app = typer.Typer(
    help="The neighbourhood register, from CBS's Kerncijfers wijken en buurten.",
    no_args_is_help=True,
)
app.add_typer(neighbourhoods_app, name="neighbourhoods")
export_app = typer.Typer(
    help="A municipality's archive package (BagIt), and checking one.", no_args_is_help=False
)
app.add_typer(export_app, name="export")
access_app = typer.Typer(help="Who read which history, export or past state.", no_args_is_help=True)
app.add_typer(access_app, name="access")


def fail(command: str, error: DomainError) -> NoReturn:
    """End a command on a refused input: the message on stderr, exit code 2."""
    typer.echo(f"wijklab {command}: {error.message}", err=True)
    raise typer.Exit(2)


def when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"
