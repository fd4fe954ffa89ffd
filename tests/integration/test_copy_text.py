"""Whatever text a decision holds comes back out of COPY exactly as it went in."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections import copy_text
from services.infra.postgres import Database

# PostgreSQL text cannot hold NUL, and the domain refuses lone surrogates.
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=60)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plain=TEXT,
    maybe=st.none() | TEXT,
    items=st.lists(TEXT, max_size=4),
    document=st.dictionaries(
        TEXT, TEXT | st.integers(-(2**63), 2**63 - 1) | st.lists(TEXT, max_size=3), max_size=4
    ),
    flag=st.booleans(),
)
def test_round_trip(
    database: Database,
    plain: str,
    maybe: str | None,
    items: list[str],
    document: dict[str, object],
    flag: bool,
) -> None:
    moment = datetime(2026, 11, 28, 21, 30, 5, 123456, tzinfo=UTC)
    line = copy_text.line(
        (
            copy_text.text(plain),
            copy_text.optional_text(maybe),
            copy_text.array(items),
            copy_text.json(document),
            copy_text.moment(moment),
            copy_text.boolean(flag),
        )
    )
    with psycopg.connect(database.conninfo) as conn:
        conn.execute(
            "CREATE TEMP TABLE t (a text, b text, c text[], d jsonb, e timestamptz, f boolean)"
        )
        with conn.cursor().copy("COPY t FROM STDIN") as out:
            out.write(line)
        row = conn.execute("SELECT a, b, c, d, e, f FROM t").fetchone()
    assert row == (plain, maybe, items, document, moment, flag)
