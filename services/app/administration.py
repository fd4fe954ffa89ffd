"""What an admin does with keys and identity providers, the same from the command line and
from the admin pages: revoking a key ends the page sessions opened with it, and a provider
is checked the same way wherever it is registered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol
from uuid import UUID

from domain.access import check_municipality
from domain.errors import InvalidInput
from domain.identity import STAFF_ROLES, check_provider_name
from domain.values import check_visible
from services.stores.identity_providers import IdentityProvider, IdentityProviders

MAX_FIELD = 400


class KeyMaking(Protocol):
    def create(
        self, role_name: str, municipality: str, name: str = "", contact: str = ""
    ) -> tuple[str, UUID]: ...

    def revoke(self, key_id: UUID, municipality: str | None = None) -> bool: ...


class SessionsEnding(Protocol):
    def end_key(self, key_id: UUID) -> int: ...

    def end_provider(self, name: str) -> int: ...


class ProviderRemoving(Protocol):
    def remove(self, name: str, municipality: str | None = None) -> bool: ...


def make_key(keys: KeyMaking, role: str, municipality: str, name: str, contact: str = "") -> str:
    """A new key of a municipality, for someone or something named: a key nobody can tell
    apart from the others is a key nobody dares revoke. The token is returned once."""
    if not name.strip():
        raise InvalidInput("say whom or what the key is for", field="name")
    token, _ = keys.create(role, municipality, name, contact)
    return token


def revoke_key(
    keys: KeyMaking, sessions: SessionsEnding, key_id: UUID, *, scope: str | None
) -> bool:
    """Revoke an active key (of the municipality `scope`, or any with None) and end the page
    sessions opened with it; False when there is no such active key."""
    if not keys.revoke(key_id, scope):
        return False
    sessions.end_key(key_id)
    return True


def remove_provider(
    providers: ProviderRemoving, sessions: SessionsEnding, name: str, *, scope: str | None
) -> bool:
    """Remove a provider (of the municipality `scope`, or any with None): its staff can no
    longer sign in through it, and the sessions they opened through it end now."""
    if not providers.remove(name, scope):
        return False
    sessions.end_provider(name)
    return True


def register_provider(
    providers: IdentityProviders,
    *,
    name: str,
    municipality: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    role_claim: str,
    role_map: Mapping[str, str],
) -> IdentityProvider:
    """Register a municipality's identity provider; its staff then see a button on the
    sign-in page. The issuer is kept exactly as given: the ID tokens are compared with it."""
    check_provider_name(name)
    issuer = issuer.strip()
    if not issuer.startswith(("https://", "http://")) or any(c.isspace() for c in issuer):
        raise InvalidInput("the issuer is the provider's URL, https://…", field="issuer")
    client_id = client_id.strip()
    if not client_id or len(client_id) > MAX_FIELD:
        raise InvalidInput("the client id is what the provider calls wijklab", field="client_id")
    check_visible(client_id, "client_id")
    client_secret = client_secret.strip()
    if not client_secret or len(client_secret) > MAX_FIELD:
        raise InvalidInput("the client secret is missing or too long", field="client_secret")
    role_claim = role_claim.strip() or "roles"
    if len(role_claim) > 100 or any(c.isspace() for c in role_claim):
        raise InvalidInput("the role claim is one claim's name, e.g. roles", field="role_claim")
    mapping = _role_map(role_map)
    provider = IdentityProvider(
        name=name,
        municipality=check_municipality(municipality),
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        role_claim=role_claim,
        role_map=mapping,
    )
    providers.add(provider)
    return provider


def _role_map(role_map: Mapping[str, str]) -> dict[str, str]:
    staff = {r.value for r in STAFF_ROLES}
    mapping: dict[str, str] = {}
    for role, value in role_map.items():
        if role not in staff:
            allowed = ", ".join(sorted(staff))
            raise InvalidInput(f"a provider maps only staff roles: {allowed}", field="map")
        value = value.strip()
        if len(value) > MAX_FIELD:
            raise InvalidInput("a claim value is at most 400 characters", field="map")
        check_visible(value, "map")
        if value:
            mapping[role] = value
    if not mapping:
        raise InvalidInput("map at least one role to a claim value", field="map")
    return mapping
