"""Staff signing in through their municipality's identity provider.

`begin` sends the browser to the provider with a fresh `state`, `nonce` and PKCE verifier;
`finish` takes the provider's answer back only if its `state` is one that began here (once),
exchanges the code, checks the ID token, maps the role from the configured claim and finds
the pseudonymous person this subject signed in as before, or registers them (name and
e-mail sealed, as for everyone).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog

from domain.access import Principal
from domain.identity import role_from_claims
from services.app.ports import PeopleDirectory
from services.infra import oidc
from services.infra.oidc import OidcFailed
from services.stores.identity_providers import IdentityProviders

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Redirect:
    url: str
    state: str


class StaffSignIn:
    def __init__(
        self, providers: IdentityProviders, people: PeopleDirectory, base_url: str
    ) -> None:
        self.providers = providers
        self.people = people
        self.base_url = base_url

    def redirect_uri(self, name: str) -> str:
        return f"{self.base_url}/sign-in/oidc/{name}/callback"

    def begin(self, name: str) -> Redirect:
        provider = self.providers.get(name)
        if provider is None:
            raise OidcFailed("unknown_provider", f"there is no identity provider {name!r}")
        meta = oidc.discover(provider.issuer)
        attempt = oidc.new_attempt()
        self.providers.begin(name, attempt)
        url = oidc.authorization_url(meta, provider.client_id, self.redirect_uri(name), attempt)
        return Redirect(url, attempt.state)

    def finish(self, name: str, state: str, code: str) -> Principal:
        provider = self.providers.get(name)
        if provider is None:
            raise OidcFailed("unknown_provider", f"there is no identity provider {name!r}")
        attempt = self.providers.finish(name, state)
        if attempt is None:
            raise OidcFailed("bad_state", "this sign-in did not begin here, or was used already")
        meta = oidc.discover(provider.issuer)
        id_token = oidc.exchange_code(
            meta,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            code=code,
            redirect_uri=self.redirect_uri(name),
            code_verifier=attempt.code_verifier,
        )
        claims = oidc.check_id_token(
            id_token,
            oidc.provider_keys(meta),
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=attempt.nonce,
        )
        role = role_from_claims(claims, provider.role_claim, provider.role_map)
        if role is None:
            raise OidcFailed("no_role", "the provider gives this account no role in wijklab")
        subject = str(claims["sub"])
        person_id = self.providers.person_of(name, subject)
        if person_id is None:
            full_name = str(claims.get("name") or claims.get("preferred_username") or "")
            email = str(claims.get("email") or "")
            person_id = (
                self.people.mention(provider.municipality, full_name, email)
                if email
                else self.people.register(provider.municipality, full_name)
            )
            self.providers.remember(name, subject, person_id)
        log.info("staff_signed_in", provider=name, role=role.value)
        return Principal(
            key_id=uuid.uuid4(),
            role=role,
            municipality=provider.municipality,
            name="",
            person_id=person_id,
        )
