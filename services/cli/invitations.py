"""`wijklab invitations create`: an invitation made on the server, its URL printed alone on
stdout (to paste in a mail or print on a letter); made as the municipality's admin."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from domain.access import Principal
from domain.errors import DomainError
from domain.values import Role
from services.bootstrap import inviting_for, prepare_stores, runtime
from services.cli.apps import fail, invitations_app


@invitations_app.command("create")
def invitations_create(
    role: Annotated[
        str, typer.Option(help="resident, partner, programme_manager, evaluator, admin")
    ],
    municipality: Annotated[str, typer.Option(help="the municipality the person belongs to")],
    name: Annotated[str, typer.Option(help="the person's name (sealed)")],
    contact: Annotated[
        str, typer.Option(help="e-mail address (the invitation is mailed) or phone")
    ] = "",
    organisation: Annotated[str, typer.Option(help="a partner's organisation")] = "",
    experiment: Annotated[str, typer.Option(help="the experiment the invitation is for")] = "",
    expires_days: Annotated[int, typer.Option(help="days the invitation stays valid")] = 14,
    language: Annotated[str, typer.Option(help="nl or en, for the mail")] = "nl",
) -> None:
    """Invite a person; prints the invitation's URL alone (its code is shown only this once)."""
    body: dict[str, object] = {
        "role": role,
        "person": {"name": name, "contact": contact},
        "expires_days": expires_days,
        "language": language,
    }
    if organisation:
        body["organisation"] = organisation
    if experiment:
        body["experiment_id"] = experiment
    admin = Principal(key_id=uuid.uuid4(), role=Role.ADMIN, municipality=municipality, name="cli")
    with runtime() as rt:
        stores = prepare_stores(rt)
        try:
            made = inviting_for(rt, stores).invite(admin, body)
        except DomainError as error:
            fail("invitations create", error)
    typer.echo(made.url)
    typer.echo(f"delivered: {made.invitation.delivered}", err=True)
