"""Signing in on one machine, for `wijklab dev`: a one-time link per role (an invitation in
the development municipality), and with `--oidc` a local OpenID provider registered as that
municipality's, so the staff sign-in can be tried without the municipality's own."""

from __future__ import annotations

import secrets
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from domain.access import Principal
from domain.values import Role
from services.bootstrap import Runtime, inviting_for, prepare_stores
from services.stores.identity_providers import IdentityProvider

LINK_ROLES = {
    "programme_manager": "Programmamanager (voorbeeld)",
    "resident": "Bewoner (voorbeeld)",
    "partner": "Wijkagent (voorbeeld)",
    "evaluator": "Evaluator (voorbeeld)",
    "admin": "Beheerder (voorbeeld)",
}
DEV_PROVIDER = "dev-oidc"
# The accounts of the local provider, and the group each is in.
DEV_ACCOUNTS = {
    "petra": ("Petra de Vries", "wijkteam"),
    "els": ("Els Jansen", "onderzoek"),
    "bram": ("Bram Visser", "wijklab-beheer"),
}


def one_time_links(rt: Runtime) -> dict[str, str]:
    """A fresh invitation per role in the development municipality: its URL signs in once."""
    stores = prepare_stores(rt)
    inviting = inviting_for(rt, stores)
    admin = Principal(
        key_id=uuid.uuid4(), role=Role.ADMIN, municipality=rt.settings.dev_municipality, name="dev"
    )
    links = {}
    for role, name in LINK_ROLES.items():
        body: dict[str, object] = {"role": role, "person": {"name": name}, "expires_days": 1}
        if role == "partner":
            body["organisation"] = "Politie (voorbeeld)"
        links[role] = inviting.invite(admin, body).url
    return links


@contextmanager
def local_provider(rt: Runtime, port: int) -> Iterator[str]:
    """A local OpenID provider on `port`, registered for the development municipality."""
    try:
        with warnings.catch_warnings():  # its use of authlib's older modules is its own
            warnings.simplefilter("ignore", DeprecationWarning)
            import oidc_provider_mock  # a development tool, loaded only here
    except ImportError:
        typer.echo("wijklab dev --oidc needs the development dependencies (make run)", err=True)
        raise typer.Exit(1) from None
    users = [
        oidc_provider_mock.User(sub=sub, claims={"name": name, "roles": [group]})
        for sub, (name, group) in DEV_ACCOUNTS.items()
    ]
    with oidc_provider_mock.run_server_in_thread(port=port, require_nonce=True, user_claims=users):
        issuer = f"http://localhost:{port}"
        providers = prepare_stores(rt).identity_providers
        found = providers.get(DEV_PROVIDER)
        if found is None or found.issuer != issuer:
            providers.remove(DEV_PROVIDER)
            providers.add(
                IdentityProvider(
                    name=DEV_PROVIDER,
                    municipality=rt.settings.dev_municipality,
                    issuer=issuer,
                    client_id="wijklab-dev",
                    client_secret=secrets.token_urlsafe(24),
                    role_claim="roles",
                    role_map={
                        "programme_manager": "wijkteam",
                        "evaluator": "onderzoek",
                        "admin": "wijklab-beheer",
                    },
                )
            )
        yield issuer
