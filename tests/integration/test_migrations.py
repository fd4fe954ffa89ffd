"""Migrations: numbered, each applied once and recorded, safe when processes start at once,
refusing a database from a newer wijklab; a version-1 database upgrades in place."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from projections.rebuild import rebuild
from services.bootstrap import Runtime, prepare_stores, read_models_for
from services.infra.event_store import Experiments
from services.infra.migrations import SchemaTooNew, available, migrate
from services.infra.postgres import Database
from services.infra.webhooks import sign, verify
from services.settings import Settings
from tests.builders import record_opener
from tests.integration.test_cli_admin import _run
from tests.upgrade import v1


def _versions(database: Database) -> list[int]:
    with database.connect() as conn:
        rows = conn.execute(
            f"SELECT version FROM {database.schema}.schema_migrations ORDER BY version"
        ).fetchall()
    return [r[0] for r in rows]


def test_an_empty_database_gets_every_migration_once_in_order(database: Database) -> None:
    applied = migrate(database)
    assert [m.version for m in applied] == list(range(1, len(available()) + 1))
    assert _versions(database) == [m.version for m in applied]
    assert migrate(database) == [], "a current schema gets nothing"
    with database.connect() as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (database.schema,),
            )
        }
    assert {"people", "person_keys", "api_keys", "integrations", "access_records"} <= tables


def test_processes_starting_at_once_apply_each_migration_once(database: Database) -> None:
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: migrate(database), range(6)))
    applied = [m.version for result in results for m in result]
    assert sorted(applied) == list(range(1, len(available()) + 1))
    assert _versions(database) == sorted(applied)


def test_a_database_from_a_newer_wijklab_is_refused(database: Database) -> None:
    migrate(database)
    with database.connect() as conn:
        conn.execute(
            f"INSERT INTO {database.schema}.schema_migrations (version, name) VALUES (999, 'x')"
        )
    with pytest.raises(SchemaTooNew, match="999"):
        migrate(database)


@pytest.fixture
def version_1(postgres: dict[str, str]) -> Database:
    database = Database(params=postgres, schema=f"v1_{uuid.uuid4().hex[:10]}")
    v1.restore(database)
    return database


def test_a_version_1_database_upgrades_in_place(version_1: Database, tmp_path: Path) -> None:
    facts = v1.facts()
    applied = migrate(version_1)
    assert len(applied) == len(available())
    settings = Settings(
        WIJKLAB_DATA_DIR=tmp_path,
        WIJKLAB_DATABASE_SCHEMA=version_1.schema,
        WIJKLAB_SECRET_KEY=facts["secret_key"],
    )
    experiments = Experiments.open(version_1)
    try:
        stores = prepare_stores(Runtime(settings, version_1, experiments))
        # Keys, people and integrations of version 1 still work.
        pm = stores.keys.authenticate(facts["tokens"]["programme_manager"])
        resident = stores.keys.authenticate(facts["tokens"]["resident"])
        assert pm is not None
        assert resident is not None
        assert (pm.municipality, pm.name) == (facts["municipality"], "Petra Oud")
        assert resident.person_id is not None
        assert resident.name == "Rachid Oud"
        person = stores.people.find(resident.person_id)
        assert person is not None
        assert person.contact == "rachid@example.org"
        assert stores.people.mention(facts["municipality"], "Rachid Oud", "rachid@example.org") == (
            resident.person_id
        ), "the lookup of version 1 finds the same person"
        integration = stores.integrations.get(facts["integration"]["name"])
        assert integration is not None
        now = int(datetime.now(UTC).timestamp())
        body = b'{"experiment_id": "x"}'
        verify(
            integration.secrets,
            msg_id="m1",
            timestamp=str(now),
            signature=sign(facts["integration"]["secret"], "m1", now, body),
            body=body,
        )
        # The record of version 1 reads as it did, and new keys are made beside the old.
        experiment_id = UUID(facts["experiment_id"])
        state = experiments.experiment(experiment_id)
        assert (state.stage.value, state.plan.revision, state.plan.endorsed) == ("act", 1, True)
        assert stores.keys.create("evaluator", facts["municipality"], "nieuw")[0].startswith("wl_")
        assert stores.access.list(facts["municipality"]).items
    finally:
        experiments.close()
    # The read models rebuild from the old record, the resident's sealed finding readable.
    rebuild(version_1, record_opener(version_1))
    with read_models_for(version_1) as read_models:
        history = read_models.decisions(experiment_id, facts["municipality"]).items
    assert [d["type"] for d in history] == [
        "start",
        "revise_plan",
        "endorse_plan",
        "advance",
        "record_finding",
    ]
    assert history[-1]["payload"]["text"] == "De buurtkamer is gezellig."
    assert history[-1]["actor"]["name"] == "Rachid Oud"


def test_wijklab_migrate_applies_what_is_missing_and_says_so(tmp_path: Path) -> None:
    first = _run(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[: len(available())] == [f"applied {m.version:04d} {m.name}" for m in available()]
    assert lines[-1] == f"schema at version {len(available())}"
    again = _run(tmp_path, "migrate")
    assert again.stdout.splitlines() == [f"schema at version {len(available())}"]
