"""Signed webhooks by the Standard Webhooks specification (standardwebhooks.com).

A sender signs `"<webhook-id>.<webhook-timestamp>.<raw body>"` with HMAC-SHA256 under the
integration's secret (`whsec_<base64>`) and sends `v1,<base64 signature>`, possibly several
space-separated. A delivery is accepted when its timestamp is within five minutes and any
signature matches one of the integration's secrets (the current one, or the previous one for
a grace period after a rotation).

The signing itself is the `standardwebhooks` library's. Its `verify` is not used as it is: it
knows one secret only, has no clock to pass in, and lets odd headers through as exceptions
other than its own (a signature without a comma, a body that is not UTF-8). Those checks are
made here, before the library signs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from domain.errors import DomainError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's marker, not a secret
TOLERANCE = timedelta(minutes=5)


class SignatureRejected(DomainError):
    code = "invalid_signature"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of a delivery (what a sender puts in webhook-signature)."""
    sent = datetime.fromtimestamp(timestamp, tz=UTC)
    return Webhook(secret).sign(msg_id, sent, body.decode())


def verify(
    secrets_: tuple[str, ...],
    *,
    msg_id: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime | None = None,
) -> None:
    """Raise `SignatureRejected` unless the delivery is fresh and signed with a known secret."""
    if not msg_id or not timestamp or not signature:
        raise SignatureRejected("webhook-id, webhook-timestamp and webhook-signature are required")
    try:
        seconds = int(timestamp)
        sent = datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureRejected("webhook-timestamp must be unix seconds") from None
    now = now or datetime.now(UTC)
    if abs(now - sent) > TOLERANCE:
        raise SignatureRejected("webhook-timestamp is more than five minutes off")
    try:
        body.decode()
    except UnicodeDecodeError:
        raise SignatureRejected("the body is not UTF-8 text, so it cannot be verified") from None
    offered = [_decoded(part[3:]) for part in signature.split() if part.startswith("v1,")]
    for secret in secrets_:
        expected = _decoded(sign(secret, msg_id, seconds, body)[3:])
        if any(o is not None and hmac.compare_digest(expected or b"", o) for o in offered):
            return
    raise SignatureRejected("no webhook-signature matches")


def _decoded(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None
