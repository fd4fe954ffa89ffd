"""`wijklab identity-providers`: the municipalities' own OpenID providers, for staff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domain.errors import DomainError, InvalidInput
from domain.identity import parse_role_map
from services.app.administration import register_provider, remove_provider
from services.bootstrap import prepare_stores, runtime
from services.cli.apps import fail, identity_app, when


@identity_app.command("add")
def providers_add(
    name: str,
    municipality: Annotated[str, typer.Option(help="whose staff sign in through it")],
    issuer: Annotated[str, typer.Option(help="the provider's issuer URL")],
    client_id: Annotated[str, typer.Option(help="wijklab's client id at the provider")],
    client_secret_file: Annotated[
        Path, typer.Option(help="a file holding the client secret (kept encrypted)")
    ],
    role_claim: Annotated[str, typer.Option(help="the claim that carries roles")] = "roles",
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="ROLE=CLAIM_VALUE, e.g. programme_manager=wijkteam"),
    ] = None,
) -> None:
    """Register a provider; its staff then see a button on the sign-in page."""
    try:
        secret = _secret(client_secret_file)
        mapping = parse_role_map(map_ or [])
        with runtime() as rt:
            register_provider(
                prepare_stores(rt).identity_providers,
                name=name,
                municipality=municipality,
                issuer=issuer,
                client_id=client_id,
                client_secret=secret,
                role_claim=role_claim,
                role_map=mapping,
            )
    except DomainError as error:
        fail("identity-providers add", error)
    typer.echo(f"added {name}: redirect URI {{WIJKLAB_PUBLIC_URL}}/sign-in/oidc/{name}/callback")


@identity_app.command("list")
def providers_list() -> None:
    """The providers, never their secrets."""
    with runtime() as rt:
        for p in prepare_stores(rt).identity_providers.list():
            roles = ", ".join(f"{r}={v}" for r, v in p["role_map"].items())
            typer.echo(
                f"{p['name']:<16} {p['municipality']:<14} {p['issuer']}  client {p['client_id']}"
                f"  {p['role_claim']}: {roles}  added {when(p['created_at'])}"
            )


@identity_app.command("remove")
def providers_remove(name: str) -> None:
    """Remove a provider: its staff can no longer sign in through it, and the sessions
    opened through it end now."""
    with runtime() as rt:
        stores = prepare_stores(rt)
        if not remove_provider(stores.identity_providers, stores.sessions, name, scope=None):
            typer.echo(f"wijklab identity-providers remove: no provider {name!r}", err=True)
            raise typer.Exit(1)
    typer.echo(f"removed {name}")


def _secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise InvalidInput(
            f"cannot read {path}: {error.strerror}", field="client_secret_file"
        ) from None
    if not secret:
        raise InvalidInput(f"{path} is empty", field="client_secret_file")
    return secret
