"""Signed webhooks by the Standard Webhooks specification (standardwebhooks.com).

A sender signs `"<webhook-id>.<webhook-timestamp>.<raw body>"` with HMAC-SHA256 under the
integration's secret (`whsec_<base64>`) and sends `v1,<base64 signature>`, possibly several
space-separated. We accept a delivery when any signature matches the current secret or, for a
grace period after a rotation, the previous one, and its timestamp is within five minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from domain.errors import DomainError, InvalidInput
from services.auth import check_municipality
from services.database import Connect, Database
from services.secret_box import SecretBox

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's marker, not a secret
TOLERANCE = timedelta(minutes=5)
ROTATION_GRACE = timedelta(hours=24)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


class SignatureRejected(DomainError):
    code = "invalid_signature"


@dataclass(frozen=True)
class Integration:
    name: str
    municipality: str
    secrets: tuple[str, ...]  # current first, then the previous one while its grace lasts


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


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
        sent = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureRejected("webhook-timestamp must be unix seconds") from None
    now = now or datetime.now(UTC)
    if abs(now - sent) > TOLERANCE:
        raise SignatureRejected("webhook-timestamp is more than five minutes off")
    offered = [part.split(",", 1)[1] for part in signature.split() if part.startswith("v1,")]
    for secret in secrets_:
        expected = sign(secret, msg_id, int(timestamp), body).split(",", 1)[1]
        if any(hmac.compare_digest(expected.encode(), o.encode()) for o in offered):
            return
    raise SignatureRejected("no webhook-signature matches")


class IntegrationStore:
    TABLE = "integrations"

    def __init__(self, database: Database, box: SecretBox, connect: Connect | None = None) -> None:
        self.database = database
        self.box = box
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.connect = database.connector(connect)

    def prepare(self) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " name text PRIMARY KEY,"
                    " municipality text NOT NULL,"
                    " secret bytea NOT NULL,"
                    " previous_secret bytea,"
                    " previous_valid_until timestamptz,"
                    " created_at timestamptz NOT NULL DEFAULT now(),"
                    " rotated_at timestamptz,"
                    " revoked_at timestamptz)"
                ).format(self.table)
            )

    @staticmethod
    def check_name(name: str) -> str:
        if not _NAME.match(name):
            raise InvalidInput(
                "an integration name is 1 to 63 lowercase letters, digits, '.', '_' or '-'",
                field="name",
            )
        return name

    def create(self, name: str, municipality: str) -> str:
        name = self.check_name(name)
        municipality = check_municipality(municipality)
        secret = new_secret()
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "INSERT INTO {} (name, municipality, secret) VALUES (%s, %s, %s) "
                    "ON CONFLICT (name) DO NOTHING"
                ).format(self.table),
                (name, municipality, self.box.seal(secret, name)),
            )
            if done.rowcount != 1:
                raise InvalidInput(f"an integration named {name!r} already exists", field="name")
        return secret

    def rotate(self, name: str, grace: timedelta = ROTATION_GRACE) -> str:
        """A new secret; the old one stays valid for `grace`."""
        secret = new_secret()
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET previous_secret = secret, secret = %s,"
                    " previous_valid_until = now() + %s, rotated_at = now()"
                    " WHERE name = %s AND revoked_at IS NULL"
                ).format(self.table),
                (self.box.seal(secret, name), grace, name),
            )
            if done.rowcount != 1:
                raise InvalidInput(f"no active integration named {name!r}", field="name")
        return secret

    def revoke(self, name: str) -> bool:
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL"
                ).format(self.table),
                (name,),
            )
            return done.rowcount == 1

    def list(self) -> list[dict[str, Any]]:
        with (
            self.connect() as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(
                sql.SQL(
                    "SELECT name, municipality, created_at, rotated_at, previous_valid_until,"
                    " revoked_at FROM {} ORDER BY name"
                ).format(self.table)
            )
            return cur.fetchall()

    def get(self, name: str) -> Integration | None:
        with (
            self.connect() as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(
                sql.SQL(
                    "SELECT municipality, secret, previous_secret,"
                    " previous_valid_until > now() AS previous_valid"
                    " FROM {} WHERE name = %s AND revoked_at IS NULL"
                ).format(self.table),
                (name,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        keys = [self.box.open(bytes(row["secret"]), name)]
        if row["previous_secret"] is not None and row["previous_valid"]:
            keys.append(self.box.open(bytes(row["previous_secret"]), name))
        return Integration(name=name, municipality=row["municipality"], secrets=tuple(keys))
