"""A database made by version 1 of wijklab (before migrations existed), restored for tests.

`v1_database.sql` is a `pg_dump --inserts` of such a database: its stores' tables as their
`prepare()` methods created them, the event store with one experiment taken to act (a plan,
a residents' endorsement, a resident's sealed finding), keys, an integration, an access record
and read models built by the version-1 projector. `v1_database.json` holds what the tests
need to use it (tokens, the secret key, ids); both are test data, nothing else.

Made with the version-1 code (commit 8916c19): start the embedded PostgreSQL, create keys,
an integration and that experiment through `prepare_stores` and `Experiments`, rebuild the
read models, then `pg_dump --schema 'wijklab_v1*' --inserts --no-owner --no-privileges`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.infra.postgres import Database

HERE = Path(__file__).parent
SCHEMA = "wijklab_v1"


def facts() -> dict[str, Any]:
    facts: dict[str, Any] = json.loads((HERE / "v1_database.json").read_text())
    return facts


def restore(database: Database) -> None:
    """Load the version-1 database into `database`'s schema (which must not exist yet)."""
    text = (HERE / "v1_database.sql").read_text()
    statements = "\n".join(line for line in text.splitlines() if not line.startswith("\\")).replace(
        SCHEMA, database.schema
    )
    with database.connect(autocommit=True) as conn:
        conn.execute(statements.encode())
