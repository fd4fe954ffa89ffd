"""Administration on the command line: API keys, people, access records, integrations."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer

from domain.errors import DomainError
from domain.values import Role
from services.app.administration import revoke_key
from services.app.erasure import erase_person
from services.bootstrap import prepare_stores, runtime, ways_in
from services.cli.apps import access_app, fail, integrations_app, keys_app, people_app, when


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
            fail("keys create", error)
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
    """Revoke an API key by its id; the page sessions opened with it end too."""
    with runtime() as rt:
        stores = prepare_stores(rt)
        if not revoke_key(stores.keys, stores.sessions, key_id, scope=None):
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
                stores.keys,
                rt.experiments,
                person_id,
                access=ways_in(stores, erasing=True),
                erased_by={"id": "cli", "role": Role.ADMIN.value},
                scope=None,
            )
        except DomainError as error:
            fail("people erase", error)
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
            fail("integrations create", error)
    typer.echo(secret)


@integrations_app.command("rotate")
def integrations_rotate(
    name: str,
    grace_hours: Annotated[int, typer.Option(min=0, help="hours the old secret stays valid")] = 24,
    immediate: Annotated[
        bool, typer.Option("--immediate", help="refuse the old secret at once (it leaked)")
    ] = False,
) -> None:
    """Give an integration a new secret; the old one stays valid for the grace period, or
    not at all with --immediate."""
    with runtime() as rt:
        integrations = prepare_stores(rt).integrations
        try:
            grace = timedelta(0) if immediate else timedelta(hours=grace_hours)
            secret = integrations.rotate(name, grace)
        except DomainError as error:
            fail("integrations rotate", error)
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
