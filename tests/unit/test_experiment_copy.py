"""The copy of an experiment that the event store's cache hands to each command: its own in
what a decision changes, sharing the immutable state."""

from __future__ import annotations

import copy
import uuid

from domain.experiment import Experiment
from tests.builders import one_cycle, start


def test_a_decision_on_the_copy_leaves_the_cached_experiment_as_it_was() -> None:
    cached = Experiment.start(start(), experiment_id=uuid.uuid4())
    cached.collect_events()
    state, version, ids = cached.state, cached.version, dict(cached.decision_versions)

    command = copy.deepcopy(cached)
    assert command.state is cached.state  # shared: a decision makes a new state
    command.decide(one_cycle()[0])

    assert (cached.state, cached.version, cached.decision_versions) == (state, version, ids)
    assert cached.collect_events() == []
    assert command.version == version + 1
    assert len(command.decision_versions) == len(ids) + 1
    assert len(command.collect_events()) == 1


def test_the_copy_carries_the_whole_experiment() -> None:
    cached = Experiment.start(start(), experiment_id=uuid.uuid4())
    for decision in one_cycle():
        cached.decide(decision)

    command = copy.deepcopy(cached)

    assert vars(command).keys() == vars(cached).keys()
    assert (command.id, command.version, command.state) == (
        cached.id,
        cached.version,
        cached.state,
    )
    assert command.decision_versions == cached.decision_versions
    assert command.collect_events() == cached.collect_events()
