"""Sealing one person's values with their own key, deterministically.

`sealed:v2:<person>:<base64url>` is AES-SIV (RFC 5297, `cryptography`'s `AESSIV`) under a
512-bit key derived by HKDF from the person's key, with the person id as associated data.
AES-SIV is deterministic by design and misuse-resistant: sealing the same text twice gives
the same value, which keeps a repeated request identical to its first sending (how
idempotency tells a repeat from a reused key), and no nonce can ever be reused for two texts.

`sealed:v1:` values, written before, stay readable: AES-256-GCM with a nonce derived from the
key and the plaintext (an HMAC-made synthetic IV). They are written only to recognise a repeat
of a decision first stored that way (`services.app.decisions`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.people import SEALED_PREFIX, sealed_body, sealed_owner, sealed_scheme

KEY_BYTES = 32
NONCE_BYTES = 12
SIV_KEY_BYTES = 64
Scheme = Literal["v1", "v2"]
CURRENT: Scheme = "v2"


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def siv_key(key: bytes) -> bytes:
    """The AES-256-SIV key of a person's key (HKDF-SHA256, bound to this use)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=SIV_KEY_BYTES, salt=None, info=b"wijklab sealed v2"
    ).derive(key)


def seal(key: bytes, person_id: str, plain: str, scheme: Scheme = CURRENT) -> str:
    """`plain` sealed for `person_id`: `sealed:<scheme>:<person>:<base64url body>`."""
    data = plain.encode()
    if scheme == "v2":
        body = AESSIV(siv_key(key)).encrypt(data, [person_id.encode()])
    else:
        nonce = hmac.new(key, b"nonce\x00" + data, hashlib.sha256).digest()[:NONCE_BYTES]
        body = nonce + AESGCM(key).encrypt(nonce, data, person_id.encode())
    return f"{SEALED_PREFIX}{scheme}:{person_id}:{base64.urlsafe_b64encode(body).decode()}"


def open_sealed(key: bytes, value: str, derived: bytes | None = None) -> str:
    """The plaintext of a sealed value; `derived` is `siv_key(key)` when the caller has it."""
    owner = sealed_owner(value)
    if owner is None:
        raise ValueError("not a sealed value")
    body = base64.urlsafe_b64decode(sealed_body(value))
    if sealed_scheme(value) == "v2":
        return AESSIV(derived or siv_key(key)).decrypt(body, [owner.encode()]).decode()
    return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], owner.encode()).decode()


class Keyring:
    """The keys of a set of people, for opening what was sealed for them."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        self.keys = keys
        self._derived: dict[str, bytes] = {}

    def open(self, value: Any) -> str | None:
        """The plaintext of a sealed value; None when its owner was erased (or it is damaged)."""
        owner = sealed_owner(value)
        if owner is None:
            return value if isinstance(value, str) else None
        key = self.keys.get(owner)
        if key is None:
            return None
        if owner not in self._derived:
            self._derived[owner] = siv_key(key)
        try:
            return open_sealed(key, value, self._derived[owner])
        except (InvalidTag, ValueError):
            return None
