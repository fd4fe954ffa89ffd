"""Encryption at rest for secrets wijklab must be able to read back (webhook secrets).

AES-256-GCM with a key from settings (`WIJKLAB_SECRET_KEY`, 32 bytes in base64). Without a
configured key, development uses one kept in the data directory; production refuses to start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the secret key must be 32 bytes")
        self._aead = AESGCM(key)
        self._key = key

    def derive(self, purpose: str) -> bytes:
        """A key for another purpose, derived so that neither reveals the other."""
        return hmac.new(self._key, b"wijklab\x00" + purpose.encode(), hashlib.sha256).digest()

    @classmethod
    def from_setting(cls, value: str | None, data_dir: Path) -> SecretBox:
        if value:
            return cls(base64.b64decode(value))
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(secrets.token_bytes(32)).decode())
        return cls(base64.b64decode(path.read_text().strip()))

    def seal(self, plain: str, context: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plain.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, context.encode()).decode()
