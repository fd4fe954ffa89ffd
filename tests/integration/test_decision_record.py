"""The decision record on a real (embedded) PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.answers import DecisionAnswer
from domain.errors import ConcurrentDecision, DecisionIdReused, ExperimentNotFound, RuleViolation
from domain.experiment import experiment_id_for
from services.infra.event_store import Experiments
from services.infra.postgres import Database
from tests.builders import RESIDENT, decision, one_cycle, start
from tests.stored import stored_history


def _started(experiments: Experiments) -> UUID:
    experiment_id = uuid4()
    experiments.start(start(), experiment_id=experiment_id)
    return experiment_id


def _start_with_key(experiments: Experiments, key: str, **overrides: object) -> DecisionAnswer:
    municipality = str(overrides.get("municipality", "utrecht"))
    return experiments.start(
        start(decision_id=key, **overrides),  # type: ignore[arg-type]
        experiment_id=experiment_id_for(municipality, key),
    )


def test_whole_cycle_then_second_cycle_then_close(experiments: Experiments) -> None:
    experiment_id = _started(experiments)
    positions = []
    for d in one_cycle():
        positions.append(experiments.decide(experiment_id, d).position)
    state = experiments.experiment(experiment_id)
    assert (state.cycle, state.stage.value, state.plan.endorsed) == (2, "plan", False)

    for d in one_cycle()[1:-1]:  # the plan carries over; residents endorse it again
        experiments.decide(experiment_id, d)
    result = experiments.decide(experiment_id, decision("close", outcome="scaled"))
    assert result.experiment["status"] == "closed"
    assert result.experiment["outcome"] == "scaled"
    assert positions == sorted(positions)

    history = stored_history(experiments, experiment_id)
    assert [h.type for h in history][:3] == ["start", "revise_plan", "endorse_plan"]
    assert history[-1].type == "close"
    assert [h.cycle for h in history].count(2) == len(one_cycle()) - 2 + 1
    assert [h.position for h in history] == sorted(h.position for h in history)
    assert history[2].actor == RESIDENT.to_dict()
    assert history[3].stage == "plan"  # the advance to act was taken in plan
    with pytest.raises(RuleViolation) as refused:
        experiments.decide(experiment_id, decision("advance", to="plan"))
    assert refused.value.code == "experiment_closed"


def test_a_decision_id_is_taken_once(experiments: Experiments) -> None:
    experiment_id = _started(experiments)
    plan = one_cycle()[0]
    first = experiments.decide(experiment_id, plan)
    again = experiments.decide(experiment_id, plan)
    assert again.repeated
    assert (again.decision_id, again.position, again.experiment) == (
        first.decision_id,
        first.position,
        first.experiment,
    )
    experiments.decide(experiment_id, decision("endorse_plan", RESIDENT))
    # A late repeat still answers with the state right after the first time.
    late = experiments.decide(experiment_id, plan)
    assert late.experiment["version"] == 2
    assert late.experiment["plan"]["endorsed"] is False
    assert len(stored_history(experiments, experiment_id)) == 3


def test_the_record_answers_a_repeat_whatever_the_state_now(experiments: Experiments) -> None:
    """What a refused repeat is answered from: the first answer if the record holds the id,
    nothing if it does not (or the experiment does not exist), and never a refusal."""
    experiment_id = _started(experiments)
    plan = one_cycle()[0]
    first = experiments.decide(experiment_id, plan)
    experiments.decide(experiment_id, decision("endorse_plan", RESIDENT))
    found = experiments.recorded_answer(experiment_id, plan)
    assert found is not None
    assert (found.decision_id, found.position) == (first.decision_id, first.position)
    assert experiments.recorded_answer(experiment_id, decision("advance", to="learn")) is None
    assert experiments.recorded_answer(uuid4(), plan) is None
    with pytest.raises(DecisionIdReused):
        experiments.recorded_answer(
            experiment_id, decision("revise_plan", decision_id=plan.decision_id, description="x")
        )


def test_a_decision_id_cannot_name_another_decision(experiments: Experiments) -> None:
    experiment_id = _started(experiments)
    experiments.decide(experiment_id, decision("revise_plan", decision_id="k-1", description="a"))
    with pytest.raises(DecisionIdReused):
        experiments.decide(
            experiment_id, decision("revise_plan", decision_id="k-1", description="b")
        )
    assert len(stored_history(experiments, experiment_id)) == 2


def test_a_refused_decision_stores_nothing(experiments: Experiments) -> None:
    experiment_id = _started(experiments)
    before = experiments.max_position()
    with pytest.raises(RuleViolation) as refused:
        experiments.decide(experiment_id, decision("advance", to="act"))
    assert refused.value.code == "no_plan"
    assert refused.value.allowed == ["revise_plan"]
    assert experiments.max_position() == before


def test_starting_with_a_start_key_is_idempotent(experiments: Experiments) -> None:
    first = _start_with_key(experiments, "key-1")
    again = _start_with_key(experiments, "key-1")
    assert again.repeated
    assert again.experiment["id"] == first.experiment["id"]
    assert again.position == first.position
    with pytest.raises(DecisionIdReused):
        _start_with_key(experiments, "key-1", title="another")
    other_town = _start_with_key(experiments, "key-1", municipality="zwolle")
    assert other_town.experiment["id"] != first.experiment["id"]


def test_concurrent_starts_with_one_key_make_one_experiment(experiments: Experiments) -> None:
    barrier = threading.Barrier(6)
    results = []

    def attempt() -> None:
        barrier.wait()
        results.append(_start_with_key(experiments, "same"))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.experiment["id"] for r in results}) == 1
    assert sum(not r.repeated for r in results) == 1
    assert len(stored_history(experiments, UUID(results[0].experiment["id"]))) == 1


def test_eight_concurrent_deciders_one_decision_per_version(experiments: Experiments) -> None:
    experiment_id = _started(experiments)
    for d in one_cycle()[:3]:
        experiments.decide(experiment_id, d)  # now in act: findings are open to anyone
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(n: int) -> None:
        barrier.wait()
        for round_ in range(5):
            d = decision(
                "record_finding",
                RESIDENT,
                decision_id=f"t{n}-{round_}",
                text=f"{n}",
                source="residents",
            )
            try:
                experiments.decide(experiment_id, d)
                outcome = "stored"
            except ConcurrentDecision:
                outcome = "conflict"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    history = stored_history(experiments, experiment_id)
    stored = Counter(outcomes)["stored"]
    assert stored >= 1
    assert Counter(outcomes)["conflict"] >= 1, "eight threads at once must collide at least once"
    assert len(history) == 4 + stored
    assert [h.version for h in history] == list(range(1, len(history) + 1))
    ids = [h.decision_id for h in history]
    assert len(ids) == len(set(ids))
    assert experiments.experiment(experiment_id).findings_this_cycle == stored


def test_state_at_a_past_moment(experiments: Experiments) -> None:
    experiment_id = _started(experiments)
    cycle = one_cycle()
    for d in cycle[:3]:
        experiments.decide(experiment_id, d)
    time.sleep(0.01)
    in_act = datetime.now(UTC)
    time.sleep(0.01)
    for d in cycle[3:]:
        experiments.decide(experiment_id, d)

    then = experiments.experiment_at(experiment_id, in_act)
    assert (then.stage.value, then.cycle, then.version) == ("act", 1, 4)
    assert experiments.experiment(experiment_id).cycle == 2
    with pytest.raises(ExperimentNotFound):
        experiments.experiment_at(experiment_id, datetime(2000, 1, 1, tzinfo=UTC))


def test_a_new_application_object_sees_everything(database: Database) -> None:
    first = Experiments(env=database.eventsourcing_env())
    experiment_id = _started(first)
    cycle = one_cycle()
    for d in cycle[:4]:
        first.decide(experiment_id, d)
    expected = first.experiment(experiment_id)
    first.close()

    second = Experiments(env=database.eventsourcing_env())
    try:
        assert second.experiment(experiment_id) == expected
        assert len(stored_history(second, experiment_id)) == 5
        # What the first object stored still counts for idempotency in the second.
        assert second.decide(experiment_id, cycle[3]).repeated
        assert second.decide(experiment_id, cycle[5]).experiment["stage"] == "evaluate"
    finally:
        second.close()


def test_unknown_experiment(experiments: Experiments) -> None:
    unknown = UUID("00000000-0000-4000-8000-000000000000")
    with pytest.raises(ExperimentNotFound):
        experiments.experiment(unknown)
    with pytest.raises(ExperimentNotFound):
        experiments.decide(unknown, decision("advance", to="act"))
    with pytest.raises(ExperimentNotFound):
        stored_history(experiments, unknown)
