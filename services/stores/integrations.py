"""Webhook integrations: who may deliver, for which municipality, with which secrets.

A secret is stored encrypted (`SecretBox`); after a rotation the previous one stays valid for
a grace period, so a sender can switch without losing deliveries. Verifying a delivery is
`services.infra.webhooks`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from domain.access import check_municipality
from domain.errors import InvalidInput
from services.infra.postgres import Connect, Database
from services.infra.secret_box import SecretBox
from services.infra.webhooks import new_secret

ROTATION_GRACE = timedelta(hours=24)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class Integration:
    name: str
    municipality: str
    secrets: tuple[str, ...]  # current first, then the previous one while its grace lasts


class IntegrationStore:
    TABLE = "integrations"

    def __init__(self, database: Database, box: SecretBox, connect: Connect | None = None) -> None:
        self.database = database
        self.box = box
        self.table = sql.Identifier(database.schema, self.TABLE)
        self.connect = database.connector(connect)

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

    def rotate(
        self, name: str, grace: timedelta = ROTATION_GRACE, municipality: str | None = None
    ) -> str:
        """A new secret; the old one stays valid for `grace`. Without grace (a leaked
        secret) the old one is refused at once and not kept at all."""
        secret = new_secret()
        immediate = grace <= timedelta(0)
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET previous_secret = CASE WHEN %s THEN NULL ELSE secret END,"
                    " secret = %s, previous_valid_until = now() + %s, rotated_at = now()"
                    " WHERE name = %s AND revoked_at IS NULL"
                    " AND (%s::text IS NULL OR municipality = %s)"
                ).format(self.table),
                (
                    immediate,
                    self.box.seal(secret, name),
                    max(grace, timedelta(0)),
                    name,
                    municipality,
                    municipality,
                ),
            )
            if done.rowcount != 1:
                raise InvalidInput(f"no active integration named {name!r}", field="name")
        return secret

    def revoke(self, name: str, municipality: str | None = None) -> bool:
        """Revoke an active integration; with `municipality`, only one of that municipality's."""
        with self.connect() as conn:
            done = conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL"
                    " AND (%s::text IS NULL OR municipality = %s)"
                ).format(self.table),
                (name, municipality, municipality),
            )
            return done.rowcount == 1

    def list(self, municipality: str | None = None) -> list[dict[str, Any]]:
        """Every integration (never its secrets), or only one municipality's."""
        with (
            self.connect() as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(
                sql.SQL(
                    "SELECT name, municipality, created_at, rotated_at, previous_valid_until,"
                    " revoked_at FROM {} WHERE %s::text IS NULL OR municipality = %s"
                    " ORDER BY name"
                ).format(self.table),
                (municipality, municipality),
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
