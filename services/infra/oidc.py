"""OpenID Connect, the client side, for staff signing in with their municipality's provider.

The authorization code flow with PKCE (S256), `state` and `nonce` (authlib makes the
values), the code exchanged at the token endpoint with the client's secret, and the ID
token checked before anything is believed (joserfc, authlib's JOSE library): its signature
against the provider's published keys, its issuer, its audience, its expiry and its nonce.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256", "PS256", "ES256"]


class OidcFailed(Exception):
    """A sign-in that cannot be trusted; `reason` says which check refused it."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Attempt:
    """What a sign-in under way keeps until its callback: all random, all single use."""

    state: str
    nonce: str
    code_verifier: str


def new_attempt() -> Attempt:
    return Attempt(
        state=generate_token(43), nonce=generate_token(43), code_verifier=generate_token(64)
    )


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=False)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise OidcFailed("provider_unreachable", f"{url}: {error}") from None
    if not isinstance(body, dict):
        raise OidcFailed("provider_unreachable", f"{url} did not answer a JSON object")
    return body


def discover(issuer: str) -> Metadata:
    """The provider's endpoints, from its discovery document, which must name it as issuer."""
    found = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if found.get("issuer") != issuer:
        raise OidcFailed("wrong_issuer", f"the provider calls itself {found.get('issuer')!r}")
    try:
        return Metadata(
            issuer=issuer,
            authorization_endpoint=str(found["authorization_endpoint"]),
            token_endpoint=str(found["token_endpoint"]),
            jwks_uri=str(found["jwks_uri"]),
        )
    except KeyError as missing:
        raise OidcFailed("provider_unreachable", f"discovery lacks {missing}") from None


def authorization_url(meta: Metadata, client_id: str, redirect_uri: str, attempt: Attempt) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": create_s256_code_challenge(attempt.code_verifier),
        "code_challenge_method": "S256",
    }
    return f"{meta.authorization_endpoint}?{urlencode(query)}"


def exchange_code(
    meta: Metadata,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> str:
    """The ID token the token endpoint gives for this code (a used code gives none)."""
    try:
        response = httpx.post(
            meta.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            auth=(client_id, client_secret),
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.HTTPError as error:
        raise OidcFailed("provider_unreachable", str(error)) from None
    if response.status_code != 200:
        raise OidcFailed("code_refused", f"the token endpoint answered {response.status_code}")
    try:
        token = response.json()["id_token"]
    except (ValueError, KeyError, TypeError):
        raise OidcFailed("code_refused", "the token endpoint gave no ID token") from None
    return str(token)


def check_id_token(
    id_token: str,
    keys: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=ALGORITHMS)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise OidcFailed(
            "bad_signature", f"the ID token's signature does not hold: {error}"
        ) from None
    claims: dict[str, Any] = dict(token.claims)
    moment = int(time.time()) if now is None else now
    if claims.get("iss") != issuer:
        raise OidcFailed("wrong_issuer", f"the ID token comes from {claims.get('iss')!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise OidcFailed("wrong_audience", "the ID token is meant for another client")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcFailed("wrong_audience", "the ID token's authorized party is another client")
    expiry = claims.get("exp")
    if not isinstance(expiry, int) or expiry + LEEWAY_SECONDS < moment:
        raise OidcFailed("expired", "the ID token has expired")
    issued = claims.get("iat")
    if isinstance(issued, int) and issued - LEEWAY_SECONDS > moment:
        raise OidcFailed("expired", "the ID token was issued in the future")
    if claims.get("nonce") != nonce:
        raise OidcFailed("bad_nonce", "the ID token's nonce is not this sign-in's")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcFailed("bad_signature", "the ID token names no subject")
    return claims


def provider_keys(meta: Metadata) -> dict[str, Any]:
    return _get_json(meta.jwks_uri)
