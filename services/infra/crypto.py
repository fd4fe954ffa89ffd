"""Sealing one person's values with their own key, deterministically.

AES-256-GCM with the person id as associated data; the nonce is derived from the key and the
plaintext (a synthetic IV), so sealing the same text twice gives the same value. That keeps a
repeated request identical to its first sending, which is how idempotency tells a repeat from
a reused key, without ever reusing a nonce for two texts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.people import SEALED_PREFIX, sealed_body, sealed_owner

KEY_BYTES = 32
NONCE_BYTES = 12


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def seal(key: bytes, person_id: str, plain: str) -> str:
    """`plain` sealed for `person_id`: `sealed:v1:<person>:<base64url(nonce | ciphertext)>`."""
    data = plain.encode()
    nonce = hmac.new(key, b"nonce\x00" + data, hashlib.sha256).digest()[:NONCE_BYTES]
    body = nonce + AESGCM(key).encrypt(nonce, data, person_id.encode())
    return f"{SEALED_PREFIX}{person_id}:{base64.urlsafe_b64encode(body).decode()}"


def open_sealed(key: bytes, value: str) -> str:
    owner = sealed_owner(value)
    if owner is None:
        raise ValueError("not a sealed value")
    body = base64.urlsafe_b64decode(sealed_body(value))
    return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], owner.encode()).decode()


class Keyring:
    """The keys of a set of people, for opening what was sealed for them."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        self.keys = keys

    def open(self, value: Any) -> str | None:
        """The plaintext of a sealed value; None when its owner was erased (or it is damaged)."""
        owner = sealed_owner(value)
        if owner is None:
            return value if isinstance(value, str) else None
        key = self.keys.get(owner)
        if key is None:
            return None
        try:
            return open_sealed(key, value)
        except (InvalidTag, ValueError):
            return None
