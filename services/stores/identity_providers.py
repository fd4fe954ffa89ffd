"""The municipalities' identity providers, the sign-ins under way through them, and which
pseudonymous person each provider's subject signed in as.

A client secret is kept encrypted with the installation's key. A sign-in under way is kept
by the hash of its `state` and used once, within 10 minutes. A subject is kept only as a
keyed hash: the provider's identifier of a civil servant is not wijklab's to keep.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from psycopg import errors, sql
from psycopg.rows import dict_row

from domain.errors import InvalidInput
from services.infra.oidc import Attempt
from services.infra.postgres import Connect, Database
from services.infra.secret_box import SecretBox

ATTEMPT_VALID = timedelta(minutes=10)


@dataclass(frozen=True)
class IdentityProvider:
    name: str
    municipality: str
    issuer: str
    client_id: str
    client_secret: str
    role_claim: str
    role_map: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """Everything but the secret."""
        return {
            "name": self.name,
            "municipality": self.municipality,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "role_claim": self.role_claim,
            "role_map": self.role_map,
        }


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class IdentityProviders:
    def __init__(
        self, database: Database, box: SecretBox, subject_key: bytes, connect: Connect | None = None
    ) -> None:
        schema = database.schema
        self.providers = sql.Identifier(schema, "identity_providers")
        self.logins = sql.Identifier(schema, "oidc_logins")
        self.subjects = sql.Identifier(schema, "oidc_subjects")
        self.people_keys = sql.Identifier(schema, "person_keys")
        self.box = box
        self.subject_key = subject_key
        self.connect = database.connector(connect)

    # --- providers ------------------------------------------------------------------

    def add(self, provider: IdentityProvider) -> None:
        try:
            with self.connect() as conn:
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {} (name, municipality, issuer, client_id, client_secret,"
                        " role_claim, role_map) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    ).format(self.providers),
                    (
                        provider.name,
                        provider.municipality,
                        provider.issuer,
                        provider.client_id,
                        self.box.seal(provider.client_secret, f"oidc:{provider.name}"),
                        provider.role_claim,
                        orjson.dumps(provider.role_map).decode(),
                    ),
                )
        except errors.UniqueViolation:
            raise InvalidInput(f"a provider named {provider.name!r} exists", field="name") from None

    def get(self, name: str) -> IdentityProvider | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql.SQL("SELECT * FROM {} WHERE name = %s").format(self.providers), (name,))
            row = cur.fetchone()
        if row is None:
            return None
        return IdentityProvider(
            name=row["name"],
            municipality=row["municipality"],
            issuer=row["issuer"],
            client_id=row["client_id"],
            client_secret=self.box.open(bytes(row["client_secret"]), f"oidc:{row['name']}"),
            role_claim=row["role_claim"],
            role_map=dict(row["role_map"]),
        )

    def list(self, municipality: str | None = None) -> list[dict[str, Any]]:
        """Every provider (never its secret), or only one municipality's."""
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT name, municipality, issuer, client_id, role_claim, role_map, created_at"
                    " FROM {} WHERE %s::text IS NULL OR municipality = %s ORDER BY name"
                ).format(self.providers),
                (municipality, municipality),
            )
            return cur.fetchall()

    def remove(self, name: str, municipality: str | None = None) -> bool:
        """Remove a provider; with `municipality`, only one of that municipality's."""
        with self.connect() as conn:
            return (
                conn.execute(
                    sql.SQL(
                        "DELETE FROM {} WHERE name = %s AND (%s::text IS NULL OR municipality = %s)"
                    ).format(self.providers),
                    (name, municipality, municipality),
                ).rowcount
                == 1
            )

    # --- sign-ins under way -----------------------------------------------------------

    def begin(self, provider: str, attempt: Attempt) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE created_at < now() - %s").format(self.logins),
                (ATTEMPT_VALID,),
            )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (state_sha256, provider, nonce, code_verifier) "
                    "VALUES (%s, %s, %s, %s)"
                ).format(self.logins),
                (_sha(attempt.state), provider, attempt.nonce, attempt.code_verifier),
            )

    def finish(self, provider: str, state: str) -> Attempt | None:
        """The sign-in this `state` began, used up: a second callback with it finds none."""
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE state_sha256 = %s AND provider = %s "
                    "AND created_at > now() - %s RETURNING nonce, code_verifier"
                ).format(self.logins),
                (_sha(state), provider, ATTEMPT_VALID),
            ).fetchone()
        return None if row is None else Attempt(state, str(row[0]), str(row[1]))

    # --- subjects ---------------------------------------------------------------------

    def _lookup(self, provider: str, subject: str) -> str:
        message = f"{provider}\x1f{subject}".encode()
        return hmac.new(self.subject_key, message, hashlib.sha256).hexdigest()

    def person_of(self, provider: str, subject: str) -> str | None:
        """The person this subject signed in as before, unless erased since."""
        with self.connect() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT s.person_id FROM {} s JOIN {} k USING (person_id) "
                    "WHERE s.provider = %s AND s.subject_lookup = %s"
                ).format(self.subjects, self.people_keys),
                (provider, self._lookup(provider, subject)),
            ).fetchone()
        return None if row is None else str(row[0])

    def remember(self, provider: str, subject: str, person_id: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (provider, subject_lookup, person_id) VALUES (%s, %s, %s) "
                    "ON CONFLICT (provider, subject_lookup) DO UPDATE SET person_id = %s"
                ).format(self.subjects),
                (provider, self._lookup(provider, subject), person_id, person_id),
            )

    def end_person(self, person_id: str) -> int:
        """Erasure: the link from a provider's subject to the person goes."""
        with self.connect() as conn:
            return conn.execute(
                sql.SQL("DELETE FROM {} WHERE person_id = %s").format(self.subjects), (person_id,)
            ).rowcount
