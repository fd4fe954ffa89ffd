"""Read models on a real PostgreSQL: exactly once, rebuildable, searchable, read-your-writes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from psycopg import sql
from psycopg.conninfo import make_conninfo

from domain.errors import InvalidInput
from domain.experiment import Experiment
from domain.programme import ProgrammeDecision
from domain.values import Actor, Role
from projections import schema
from projections.catch_up import open_view
from projections.fold import Fold
from projections.live import follow_live
from projections.pipeline import BatchWriter
from projections.queries import ProjectionLagging, ReadModels
from projections.rebuild import rebuild
from projections.recent_states import RecentStates
from projections.runner import active_projector_lock, run_projector, serving_physical
from projections.view import APPLICATION, Overtaken, SchemaSwitched
from services.bootstrap import read_models_for
from services.infra.event_store import Experiments
from services.infra.postgres import Database
from services.infra.programme_store import Programmes
from services.stores.people import new_person_id
from tests.builders import PLAN, RESIDENT, decision, one_cycle, record_opener, start


def seed(
    experiments: Experiments,
    count: int,
    *,
    cycles: int = 1,
    publish: bool = False,
    **start_overrides: Any,
) -> list[UUID]:
    """`count` experiments, each taken through `cycles` whole cycles (with `publish`, each
    cycle's lesson published on its findings), saved in bulk."""
    ids = []
    pending = []
    for n in range(count):
        experiment = Experiment.start(start(**start_overrides), experiment_id=uuid.uuid4())
        for _ in range(cycles):
            cycle = one_cycle()
            for d in cycle:
                experiment.decide(d)
            if publish:
                lesson = next(d for d in cycle if d.type.value == "record_lesson")
                findings = [d.decision_id for d in cycle if d.type.value == "record_finding"]
                # Published, then its level raised: the commons keeps the first moment.
                for level in ("described", "substantiated"):
                    experiment.decide(
                        decision(
                            "publish_lesson",
                            lesson=lesson.decision_id,
                            evidence_level=level,
                            supporting=findings,
                        )
                    )
        ids.append(experiment.id)
        pending.append(experiment)
        if len(pending) == 50 or n == count - 1:
            experiments.save(*pending)
            pending = []
    return ids


def seed_programme(experiments: Experiments) -> UUID:
    """A programme, created, given more funding and a neighbourhood."""
    store = Programmes(experiments)
    programme_id = uuid.uuid4()
    pm = Actor("pm-1", Role.PROGRAMME_MANAGER, "Petra")

    def parse(kind: str, rationale: str | None, **payload: Any) -> ProgrammeDecision:
        return ProgrammeDecision.parse(
            decision_id=uuid.uuid4().hex, type=kind, actor=pm, rationale=rationale, payload=payload
        )

    store.create(
        parse(
            "create_programme",
            None,
            municipality="utrecht",
            name="Wijkaanpak Overvecht",
            description="Twintig jaar",
            neighbourhoods=["WK034403"],
            period={"from_year": 2026, "to_year": 2045},
            funding=[{"source": "sociaal domein", "year": 2026, "amount_eur": "1000"}],
        ),
        programme_id=programme_id,
    )
    store.decide(
        programme_id,
        parse("allocate_funding", "begroting", source="fysiek", year=2027, amount_eur="500"),
    )
    store.decide(programme_id, parse("add_neighbourhood", "uitbreiding", code="WK034404"))
    return programme_id


@pytest.fixture
def read_models(database: Database) -> Iterator[ReadModels]:
    with read_models_for(database) as models:
        yield models


def dump(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model, in a stable order."""
    serving = sql.Identifier(schema.serving_schema(database.schema))
    tables = {}
    with database.connect() as conn:
        for table, order in (
            ("experiments", "id"),
            ("decisions", "position"),
            ("lessons", "position"),
            ("commons", "position"),
            ("programmes", "id"),
            ("programme_decisions", "position"),
        ):
            tables[table] = conn.execute(
                sql.SQL("SELECT * FROM {}.{} ORDER BY {}").format(
                    serving, sql.Identifier(table), sql.Identifier(order)
                )
            ).fetchall()
    return tables


@pytest.fixture
def projector(database: Database) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_projector, args=(database, record_opener(database), stop), daemon=True
    )
    thread.start()
    yield stop
    stop.set()
    thread.join(timeout=20)
    assert not thread.is_alive()


def test_rebuild_projects_every_read_model(
    experiments: Experiments, database: Database, read_models: ReadModels
) -> None:
    seed(experiments, 3)
    seed(
        experiments,
        2,
        neighbourhood={"code": "dorp-ootmarsum", "name": "Ootmarsum", "kind": "dorp"},
        municipality="dinkelland",
    )
    report = rebuild(database, record_opener(database))
    assert report.events == experiments.max_position() == 5 * (1 + len(one_cycle()))
    assert read_models.position() == experiments.max_position()

    utrecht = read_models.experiments("utrecht")
    assert len(utrecht.items) == 3
    assert {e["stage"] for e in utrecht.items} == {"plan"}
    assert {e["cycle"] for e in utrecht.items} == {2}
    assert read_models.experiments(None).items.__len__() == 5
    assert read_models.experiments("dinkelland", neighbourhood="dorp-ootmarsum").items
    assert not read_models.experiments("dinkelland", neighbourhood="WK034401").items
    assert len(read_models.experiments(None, theme="energy_transition").items) == 5
    assert not read_models.experiments(None, theme="safety").items
    assert read_models.stage_counts("utrecht") == {"plan": 3}

    first = utrecht.items[0]
    assert read_models.experiment(UUID(first["id"]), "utrecht") == first
    assert read_models.experiment(UUID(first["id"]), "dinkelland") is None  # another tenant

    history = read_models.decisions(UUID(first["id"]), "utrecht")
    assert [d["type"] for d in history.items] == ["start"] + [d.type.value for d in one_cycle()]
    assert history.items[2]["actor"]["role"] == "resident"

    hoods = read_models.neighbourhoods(None)
    assert [(h["code"], h["stages"]) for h in hoods] == [
        ("dorp-ootmarsum", {"plan": 2}),
        ("WK034401", {"plan": 3}),
    ]
    assert hoods[1]["budget"] == {"energietransitie": "120000.00", "sociaal domein": "37501.50"}
    themes = {t["theme"]: t for t in read_models.themes("utrecht")}
    assert themes["energy_transition"]["lessons"] == 3
    assert themes["work_income"]["stages"] == {"plan": 3}


def test_pagination_by_cursor(
    experiments: Experiments, database: Database, read_models: ReadModels
) -> None:
    seed(experiments, 7)
    rebuild(database, record_opener(database))
    seen: list[str] = []
    cursor = None
    while True:
        page = read_models.experiments("utrecht", cursor=cursor, limit=3)
        seen += [e["id"] for e in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 7
    first_id = UUID(seen[0])
    decisions_seen = []
    cursor = None
    while True:
        page = read_models.decisions(first_id, "utrecht", cursor=cursor, limit=4)
        decisions_seen += [d["position"] for d in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert decisions_seen == sorted(decisions_seen)
    assert len(decisions_seen) == 1 + len(one_cycle())


def test_lessons_search_in_dutch_and_english(
    experiments: Experiments, database: Database, read_models: ReadModels
) -> None:
    experiment = Experiment.start(start(), experiment_id=uuid.uuid4())
    for d in one_cycle()[:-2]:
        experiment.decide(d)
    experiment.decide(
        decision("record_lesson", RESIDENT, text="De bewoner wil zelf meebeslissen over het groen.")
    )
    experiment.decide(
        decision(
            "record_lesson",
            text="Residents trusted the neighbourhood coach more than letters.",
            themes=["health"],
        )
    )
    experiments.save(experiment)
    rebuild(database, record_opener(database))

    def found(q: str, **kw: Any) -> list[str]:
        return [lesson["text"] for lesson in read_models.lessons("utrecht", q=q, **kw).items]

    assert found("bewoners") == ["De bewoner wil zelf meebeslissen over het groen."]
    assert found("resident") == ["Residents trusted the neighbourhood coach more than letters."]
    assert found("coaches letter") == [
        "Residents trusted the neighbourhood coach more than letters."
    ]
    assert found("verkeer") == []
    assert (
        len(found("", theme="energy_transition")) == 1
    )  # a lesson without themes takes the experiment's
    assert found("resident", theme="health")
    assert read_models.lessons("zwolle", q="bewoners").items == []
    lesson = read_models.lessons("utrecht", q="groen").items[0]
    assert lesson["experiment_id"] == str(experiment.id)
    assert lesson["cycle"] == 1


def test_the_same_events_twice_change_nothing(experiments: Experiments, database: Database) -> None:
    seed(experiments, 4)
    rebuild(database, record_opener(database))
    before = dump(database)
    physical = serving_physical(database)
    assert physical is not None
    view = open_view(database, physical)
    pairs = [
        (experiments.mapper.to_domain_event(n), Tracking(APPLICATION, n.id))
        for n in experiments.recorder.select_notifications(None, 1000)
    ]
    assert view.apply(pairs) == 0
    assert view.apply(pairs[:5]) == 0
    assert dump(database) == before
    view.datastore.close()


def test_the_live_path_folds_onto_the_states_it_kept_and_forgets_them_when_another_wrote(
    experiments: Experiments, database: Database
) -> None:
    rebuild(database, record_opener(database))  # nothing yet: an empty copy, served
    experiment_id = uuid.uuid4()
    experiments.start(start(), experiment_id=experiment_id)
    for d in one_cycle():
        experiments.decide(experiment_id, d)
    pairs = [
        (experiments.mapper.to_domain_event(n), Tracking(APPLICATION, n.id))
        for n in experiments.recorder.select_notifications(None, 1000)
    ]
    physical = serving_physical(database)
    assert physical is not None
    view = open_view(database, physical)
    recent = RecentStates()
    for pair in pairs[:3]:
        assert view.apply([pair], recent=recent) == 1
    assert len(recent) == 1
    # Another writer applies two; the live path, offered them again with the next, must not
    # fold the next onto the state it kept from before them.
    assert view.apply(pairs[3:5]) == 2
    assert view.apply(pairs[3:6], recent=recent) == 1
    for pair in pairs[6:]:
        assert view.apply([pair], recent=recent) == 1
    view.datastore.close()
    live = dump(database)
    assert live["experiments"][0][0] == experiment_id

    rebuild(database, record_opener(database))
    assert dump(database) == live


def test_the_live_path_applies_what_was_committed_meanwhile_in_one_transaction(
    experiments: Experiments, database: Database
) -> None:
    rebuild(database, record_opener(database))  # nothing yet: an empty copy, served
    seed(experiments, 3)
    physical = serving_physical(database)
    assert physical is not None
    view = open_view(database, physical)
    transactions: list[int] = []
    apply = view.apply

    def counted(pairs: Any, **options: Any) -> int:
        transactions.append(len(pairs))
        return apply(pairs, **options)

    view.apply = counted  # type: ignore[method-assign]
    stop = threading.Event()

    def look_around(position: int) -> bool:
        if position >= experiments.max_position():
            stop.set()
        return True

    follow_live(database, view, experiments, stop, batch_size=1000, look_around=look_around)
    view.datastore.close()
    assert transactions == [experiments.max_position()]
    live = dump(database)
    rebuild(database, record_opener(database))
    assert dump(database) == live


def test_live_projection_and_read_your_writes(
    experiments: Experiments,
    database: Database,
    read_models: ReadModels,
    projector: threading.Event,
) -> None:
    experiment_id = uuid.uuid4()
    started = experiments.start(start(), experiment_id=experiment_id)
    read_models.wait_for(started.position)
    assert read_models.experiment(experiment_id, "utrecht") is not None
    lags = []
    for d in one_cycle():
        answer = experiments.decide(experiment_id, d)
        began = time.monotonic()
        read_models.wait_for(answer.position)
        lags.append(time.monotonic() - began)
        shown = read_models.experiment(experiment_id, "utrecht")
        assert shown is not None
        assert shown["version"] == answer.experiment["version"]
    print(
        f"projection lag: median {sorted(lags)[len(lags) // 2] * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms"
    )
    with pytest.raises(InvalidInput):
        read_models.wait_for(experiments.max_position() + 100, timeout=0.2)

    projector.set()  # stop the projector: what is written now is recorded but not projected
    time.sleep(1.5)
    behind = experiments.start(start(), experiment_id=uuid.uuid4())
    with pytest.raises(ProjectionLagging) as lagging:
        read_models.wait_for(behind.position, timeout=0.2)
    assert (lagging.value.position, lagging.value.wanted) == (behind.position - 1, behind.position)


def test_rebuild_while_serving_equals_the_incremental_build(
    experiments: Experiments,
    database: Database,
    read_models: ReadModels,
    projector: threading.Event,
) -> None:
    seed(experiments, 5, publish=True)
    seed_programme(experiments)
    read_models.wait_for(experiments.max_position(), timeout=20)
    incremental = dump(database)
    assert len(incremental["commons"]) == 5
    assert len(incremental["programmes"]) == 1
    assert len(incremental["programme_decisions"]) == 3
    first = serving_physical(database)

    stop_writing = threading.Event()
    written: list[int] = []

    def keep_deciding() -> None:
        experiment_id = uuid.uuid4()
        experiments.start(start(), experiment_id=experiment_id)
        for n in range(200):
            if stop_writing.is_set():
                break
            answer = experiments.decide(
                experiment_id,
                decision(
                    "revise_plan",
                    description=f"versie {n}",
                    **{k: v for k, v in PLAN.items() if k != "description"},
                ),
            )
            written.append(answer.position)

    writer = threading.Thread(target=keep_deciding)
    writer.start()
    report = rebuild(database, record_opener(database))
    stop_writing.set()
    writer.join()
    assert report.replaced == first
    assert serving_physical(database) == report.schema != first

    # The projector moved over to the new copy and keeps it current.
    read_models.wait_for(experiments.max_position(), timeout=20)
    after = dump(database)
    seeded = {row[0] for row in incremental["experiments"]}
    assert [r for r in after["experiments"] if r[0] in seeded] == incremental["experiments"]
    for table in ("decisions", "lessons", "commons", "programmes", "programme_decisions"):
        assert after[table][: len(incremental[table])] == incremental[table]
    rebuilt_again = rebuild(database, record_opener(database))
    assert rebuilt_again.replaced == report.schema
    assert dump(database) == after
    assert written


def test_a_projector_that_falls_behind_catches_up_in_batches_and_follows_on(
    experiments: Experiments,
    database: Database,
    read_models: ReadModels,
    projector: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Always "far behind": the follower stops after every half second and catches up in
    batches; what it builds is what a rebuild builds."""
    from projections import runner

    monkeypatch.setattr(runner, "FAR_BEHIND", -1)
    seed(experiments, 3, publish=True)
    time.sleep(1.2)  # a round of catching up in between
    seed(experiments, 3)
    read_models.wait_for(experiments.max_position(), timeout=20)
    time.sleep(1.2)
    followed = dump(database)
    rebuild(database, record_opener(database))
    assert dump(database) == followed


def _wijklab() -> str:
    found = shutil.which("wijklab", path=str(Path(sys.executable).parent))
    assert found
    return found


def test_rows_for_a_view_that_moved_on_are_refused_and_change_nothing(
    experiments: Experiments, database: Database
) -> None:
    """A catch-up writes batches on a writer thread; if another writer got there first, the
    batch is skipped (all applied already) or refused (partly), and the submitter hears it."""
    seed(experiments, 3)
    rebuild(database, record_opener(database))
    before = dump(database)
    physical = serving_physical(database)
    assert physical is not None
    view = open_view(database, physical)
    head = view.position()
    rows = Fold().rows()
    try:
        assert not view.apply_rows(rows, after=0, last=Tracking(APPLICATION, head), role="serving")
        with pytest.raises(Overtaken):
            view.apply_rows(rows, after=0, last=Tracking(APPLICATION, head + 5), role="serving")
        with pytest.raises(Overtaken), BatchWriter(view, "serving") as writer:
            writer.submit(rows, after=0, last=Tracking(APPLICATION, head + 5), events=5)
        with pytest.raises(SchemaSwitched), BatchWriter(view, "building") as writer:
            writer.submit(rows, after=head, last=Tracking(APPLICATION, head + 5), events=5)
    finally:
        view.datastore.close()
    assert dump(database) == before


def test_projector_killed_mid_batch_resumes_without_gap_or_double(
    experiments: Experiments, database: Database, read_models: ReadModels
) -> None:
    seed(experiments, 300)
    total = experiments.max_position()
    # The first start builds the read models in batches; kill it part way.
    url = "postgresql://?" + make_conninfo(**database.params).replace(" ", "&")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WIJKLAB_DATABASE_SCHEMA": database.schema,
        "WIJKLAB_PROJECTOR_BATCH_SIZE": "50",
        "WIJKLAB_LOG_FORMAT": "json",
    }
    killed_at = None
    for _attempt in range(3):
        projector = subprocess.Popen([_wijklab(), "projector"], env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        progress = 0
        while time.monotonic() < deadline:
            progress = _building_position(database)
            if progress > 0:
                break
            time.sleep(0.005)
        projector.send_signal(signal.SIGKILL)
        projector.wait()
        if 0 < progress < total:
            killed_at = progress
            break
    assert killed_at is not None, "the projector was killed part way through"

    projector = subprocess.Popen([_wijklab(), "projector"], env=env, stderr=subprocess.DEVNULL)
    try:
        read_models.wait_for(total, timeout=60)
    finally:
        projector.send_signal(signal.SIGTERM)
        assert projector.wait(timeout=30) == 0
    resumed = dump(database)
    assert [r[0] for r in resumed["decisions"]] == [
        n.id for n in experiments.recorder.select_notifications(None, total + 1)
    ]
    rebuild(database, record_opener(database))
    assert dump(database) == resumed


def _building_position(database: Database) -> int:
    """How far the first build has got, or 0 before it has begun."""
    try:
        with database.connect(autocommit=True) as conn:
            row = conn.execute(
                sql.SQL("SELECT building FROM {}.{}").format(
                    sql.Identifier(database.schema), sql.Identifier(schema.POINTER_TABLE)
                )
            ).fetchone()
            if not row or not row[0]:
                return 0
            tracked = conn.execute(
                sql.SQL("SELECT notification_id FROM {}.position").format(sql.Identifier(row[0]))
            ).fetchone()
            return int(tracked[0]) if tracked else 0
    except psycopg.Error:
        return 0


def test_the_recorders_private_methods_the_view_leans_on_still_work(database: Database) -> None:
    """eventsourcing's `_max_tracking_id` and `_insert_tracking` take the caller's cursor, so
    rows and tracking commit together; an upgrade that changes them fails here, not in a
    rebuild."""
    with database.connect(autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {database.schema}_pin")
    view = open_view(database, f"{database.schema}_pin")
    try:
        with view.datastore.transaction(commit=False) as cursor:
            assert view.position_in(cursor) == 0
            view._insert_tracking(cursor, Tracking(APPLICATION, 7))
            assert view.position_in(cursor) == 7
    finally:
        view.datastore.close()
        with database.connect(autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {database.schema}_pin CASCADE")


def test_projectors_of_other_schemas_in_one_database_do_not_wait_for_each_other(
    postgres: dict[str, str],
) -> None:
    """Advisory locks belong to the whole database: a projector of one schema must not stand
    by behind the projector of another installation in the same database, but behind one of
    its own schema it must."""
    ours = Database(params=postgres, schema=f"t_{uuid.uuid4().hex[:12]}")
    theirs = Database(params=postgres, schema=f"t_{uuid.uuid4().hex[:12]}")
    stop = threading.Event()
    outcomes: dict[str, bool] = {}

    def contend(name: str, database: Database) -> None:
        with active_projector_lock(database, stop) as active:
            outcomes[name] = active

    with active_projector_lock(theirs, stop) as active:
        assert active
        other = threading.Thread(target=contend, args=("ours", ours))
        same = threading.Thread(target=contend, args=("theirs again", theirs))
        other.start()
        same.start()
        other.join(timeout=5)
        assert outcomes.get("ours") is True, "another schema's projector does not wait"
        same.join(timeout=1.5)
        assert "theirs again" not in outcomes, "a second projector of one schema stands by"
        stop.set()
        same.join(timeout=10)
    assert outcomes["theirs again"] is False


def test_a_rebuild_folded_in_processes_equals_one_folded_in_one(
    experiments: Experiments, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each process folds the streams of its partition; every page is written whole, with
    its tracking position. Small pages and a memory of two states make processes read states
    back from the rows already written (committed first, at their request)."""
    from projections import rebuild as rebuilding
    from projections.partitioned import FoldProcesses

    seed(experiments, 6, publish=True)
    seed_programme(experiments)
    experiments.record_erasure(new_person_id(), "utrecht", {"id": "admin-1"})
    seed(experiments, 4, cycles=2)
    alone = rebuild(database, record_opener(database), processes=1)
    built_alone = dump(database)

    assert rebuilding.fold_processes(19_999, 2) == 1  # too few to be worth it, as these
    assert [rebuilding.fold_processes(20_000, cores=n) for n in (1, 2, 3, 4, 8)] == [1, 2, 2, 3, 4]

    started: list[int] = []

    def remembered(database: Database, count: int) -> FoldProcesses:
        started.append(count)
        return FoldProcesses(database, count, max_states=2)

    monkeypatch.setattr(rebuilding, "FoldProcesses", remembered)
    monkeypatch.setattr(rebuilding, "PARTITIONED_FROM", 0)
    spread = rebuild(database, record_opener(database), processes=2, batch_size=7)
    assert started == [2]
    assert spread.events == alone.events == experiments.max_position()
    assert dump(database) == built_alone
    assert len(built_alone["programmes"]) == 1
    assert len(built_alone["commons"]) == 6


def test_a_fold_process_that_fails_fails_the_rebuild_and_says_why(database: Database) -> None:
    from projections.partitioned import FoldProcesses

    elsewhere = Database(params={**database.params, "dbname": "no_such_database"}, schema="x")
    with (
        FoldProcesses(elsewhere, 2) as folders,
        pytest.raises(RuntimeError, match="fold process 0 failed") as failed,
    ):
        folders._collect(0, BatchWriter.__new__(BatchWriter))
    assert "no_such_database" in str(failed.value)


@pytest.mark.timeout(60)
def test_a_fold_process_that_dies_without_a_word_ends_the_rebuild(database: Database) -> None:
    from projections.partitioned import FoldProcesses

    with FoldProcesses(database, 2) as folders:
        folders.processes[0].kill()
        with pytest.raises(RuntimeError, match="fold process 0 ended unexpectedly"):
            folders._collect(0, BatchWriter.__new__(BatchWriter))


@pytest.mark.timeout(60)
def test_a_fold_process_does_not_import_the_main_module(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line's main module took a second and a half to import in each process
    that `multiprocessing` spawned, before it folded anything."""
    import types

    from projections.partitioned import FoldProcesses

    imported = tmp_path / "imported"
    script = tmp_path / "heavy_main.py"
    script.write_text(f"open({str(imported)!r}, 'w').close()\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    with FoldProcesses(database, 1) as folders:
        folders.connections[0].send(None)
        assert folders.processes[0].wait(timeout=30) == 0
    assert not imported.exists()
