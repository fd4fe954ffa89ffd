"""Finding the PostgreSQL server: the one named by DATABASE_URL, or the embedded one, and
what every store needs of it: connection parameters, a connection lender, the DDL lock."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from services.infra.embedded_postgres import EmbeddedPostgres

if TYPE_CHECKING:  # the settings' module loads pydantic: a fold process needs neither
    from services.settings import Settings

# Held while creating tables: `CREATE TABLE IF NOT EXISTS` is not safe when two sessions
# create the same table at once (both pass the check, one fails on the catalogue's unique
# index), and every process prepares its tables on start, in any order.
DDL_LOCK_KEY = 0x77696A6B6C6162  # "wijklab"

# How long a request waits for a database connection before it answers 503: a client
# should hear quickly that the database is away, not hang until its own timeout.
POOL_WAIT_SECONDS = 5.0

# Something that lends an autocommit connection for the length of a `with` block.
Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


@dataclass(frozen=True)
class Database:
    """Connection parameters of one database and the schema wijklab's event store uses."""

    params: dict[str, str]
    schema: str

    @property
    def conninfo(self) -> str:
        return make_conninfo(**self.params)

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(self.conninfo, **kwargs)

    def eventsourcing_env(self) -> dict[str, str]:
        """The environment eventsourcing's PostgreSQL persistence module reads."""
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.params.get("dbname", "postgres"),
            "POSTGRES_HOST": self.params.get("host", "localhost"),
            "POSTGRES_PORT": self.params.get("port", "5432"),
            "POSTGRES_USER": self.params.get("user", "postgres"),
            "POSTGRES_PASSWORD": self.params.get("password", ""),
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_CONNECT_TIMEOUT": str(int(POOL_WAIT_SECONDS)),
            "POSTGRES_PRE_PING": "y",
            # One connection at first, up to fifteen under load (eventsourcing's default opens
            # five at once and keeps them): every process holds a record and the projector
            # three, and idle they held half of a server's hundred connections.
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "14",
            "CREATE_TABLE": "y",
            # Each experiment has one writer (its workflow), so a cached aggregate stays valid;
            # fast-forward reads only the events recorded since it was cached.
            "AGGREGATE_CACHE_MAXSIZE": "5000",
            "AGGREGATE_CACHE_FASTFORWARD": "y",
        }

    def lock_key(self, purpose: str) -> int:
        """A 64-bit advisory lock key for one `purpose` in this schema. Advisory locks belong
        to the whole database, so two installations in one database (each in its own schema)
        would otherwise take each other's lock: one projector would wait for ever behind the
        other's."""
        digest = hashlib.sha256(f"wijklab:{purpose}:{self.schema}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def connector(self, connect: Connect | None = None) -> Connect:
        """`connect` (a pool's `connection` in long-running processes), or else a fresh
        autocommit connection for each use."""
        return connect or (lambda: self.connect(autocommit=True))

    @contextlib.contextmanager
    def ddl_lock(self) -> Iterator[None]:
        """Serialise table creation across processes for the length of the block."""
        with self.connect(autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))

    def ensure_schema(self) -> None:
        """Create the schema if missing; safe when several processes start at once."""
        with (
            self.connect(autocommit=True) as conn,
            contextlib.suppress(psycopg.errors.UniqueViolation),
        ):
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
            )


@contextlib.contextmanager
def ddl_transaction(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Table creation on a connection already at hand, serialised like `Database.ddl_lock`."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))
        yield


@contextlib.contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The database for these settings, starting the embedded server when none is configured."""
    if settings.database_url is not None:
        params = {k: str(v) for k, v in conninfo_to_dict(settings.database_url).items()}
        database = Database(params=params, schema=settings.database_schema)
        database.ensure_schema()
        yield database
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    try:
        database = Database(params=embedded.start(), schema=settings.database_schema)
        database.ensure_schema()
        yield database
    finally:
        embedded.stop()
