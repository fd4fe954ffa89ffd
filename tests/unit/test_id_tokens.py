"""The ID token's checks, each shown to refuse what it is there for: a token signed by a key
the provider does not publish, from another issuer, for another client, expired, issued in
the future, with another sign-in's nonce, or without a subject."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from services.infra.oidc import OidcFailed, check_id_token

ISSUER = "https://login.utrecht.nl/realms/medewerkers"
CLIENT = "wijklab"
NONCE = "n-0S6_WzA2Mj"
PROVIDER_KEY = RSAKey.generate_key(2048, parameters={"kid": "provider-1"})
STRANGER_KEY = RSAKey.generate_key(2048, parameters={"kid": "provider-1"})
PUBLISHED = KeySet([PROVIDER_KEY]).as_dict(private=False)


def token(key: RSAKey = PROVIDER_KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "f1e2d3",
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "name": "Petra de Vries",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": "provider-1"}, claims, key)


def test_a_good_token_gives_its_claims() -> None:
    claims = check_id_token(token(), PUBLISHED, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)
    assert (claims["sub"], claims["name"]) == ("f1e2d3", "Petra de Vries")
    several = token(aud=[CLIENT, "other"], azp=CLIENT)
    assert check_id_token(several, PUBLISHED, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (lambda: token(STRANGER_KEY), "bad_signature"),
        (lambda: token()[:-4] + "AAAA", "bad_signature"),
        (lambda: "not.a.token", "bad_signature"),
        (lambda: token(iss="https://evil.example"), "wrong_issuer"),
        (lambda: token(aud="another-client"), "wrong_audience"),
        (lambda: token(aud=[CLIENT, "other"], azp="other"), "wrong_audience"),
        (lambda: token(exp=int(time.time()) - 120), "expired"),
        (lambda: token(exp=None), "expired"),
        (lambda: token(iat=int(time.time()) + 600), "expired"),
        (lambda: token(nonce="another-sign-in"), "bad_nonce"),
        (lambda: token(nonce=None), "bad_nonce"),
        (lambda: token(sub=None), "bad_signature"),
    ],
    ids=[
        "unknown-key",
        "tampered",
        "garbage",
        "other-issuer",
        "other-audience",
        "other-authorized-party",
        "expired",
        "no-expiry",
        "from-the-future",
        "other-nonce",
        "no-nonce",
        "no-subject",
    ],
)
def test_each_check_refuses_what_it_guards(bad: Any, reason: str) -> None:
    with pytest.raises(OidcFailed) as refused:
        check_id_token(bad(), PUBLISHED, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)
    assert refused.value.reason == reason


def test_a_none_algorithm_is_never_accepted() -> None:
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    body = token().split(".")[1]
    with pytest.raises(OidcFailed) as refused:
        check_id_token(f"{header}.{body}.", PUBLISHED, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)
    assert refused.value.reason == "bad_signature"
