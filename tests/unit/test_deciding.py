"""Deciding, with fakes for the event store, the workflows and the people: repeats, reused
decision ids, refusals, another municipality's experiment, a lost workflow, a late answer."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain import rules
from domain.decisions import Decision
from domain.errors import DecisionIdReused, ExperimentNotFound, InvalidInput, RuleViolation
from domain.values import Actor, Role
from services.app.decisions import DecisionService
from services.app.errors import DecisionPending
from services.app.sealing import Sealing
from tests.builders import PLAN
from tests.unit.fakes import FakePeople, FakeRecord, FakeWorkflows

PM = Actor("key-pm", Role.PROGRAMME_MANAGER, "Petra")
RESIDENT = Actor("key-res", Role.RESIDENT, "Rachid")
START = {
    "neighbourhood": {"code": "WK034401", "name": "Overvecht", "kind": "wijk"},
    "title": "Samen warm de winter door",
    "question": "Helpt een buurtenergiecoach?",
    "residents_agenda": "Bewoners vroegen om hulp bij hun energierekening.",
    "themes": ["energy_transition"],
}


@pytest.fixture
def record() -> FakeRecord:
    return FakeRecord()


@pytest.fixture
def workflows(record: FakeRecord) -> FakeWorkflows:
    return FakeWorkflows(record)


@pytest.fixture
def service(record: FakeRecord, workflows: FakeWorkflows) -> DecisionService:
    return DecisionService(record, workflows, Sealing(FakePeople()), answer_timeout=5)


async def _started(service: DecisionService, key: str = "start-1") -> UUID:
    answer = await service.start(PM, "utrecht", dict(START), key)
    return UUID(answer.experiment["id"])


async def _decide(
    service: DecisionService, experiment_id: UUID, body: dict[str, Any], decision_id: str
) -> Any:
    return await service.decide(
        PM, "utrecht", experiment_id, body, decision_id=decision_id, source="api"
    )


async def test_starting_again_with_the_same_key_answers_the_first_answer(
    service: DecisionService, record: FakeRecord
) -> None:
    first = await service.start(PM, "utrecht", dict(START), "start-1")
    again = await service.start(PM, "utrecht", dict(START), "start-1")
    assert (again.decision_id, again.position) == (first.decision_id, first.position)
    assert again.repeated
    assert not first.repeated
    assert len(record.experiments) == 1


async def test_a_repeated_decision_answers_the_first_answer(service: DecisionService) -> None:
    experiment_id = await _started(service)
    body = {"type": "revise_plan", "rationale": "uit het wijkoverleg", **PLAN}
    first = await _decide(service, experiment_id, body, "plan-1")
    again = await _decide(service, experiment_id, dict(body), "plan-1")
    assert again.position == first.position
    assert again.experiment["plan"]["revision"] == 1


async def test_a_decision_id_reused_for_another_decision_is_refused(
    service: DecisionService,
) -> None:
    experiment_id = await _started(service)
    await _decide(service, experiment_id, {"type": "revise_plan", "rationale": "a", **PLAN}, "d-1")
    other = {**PLAN, "description": "Een heel ander plan"}
    with pytest.raises(DecisionIdReused):
        await _decide(
            service, experiment_id, {"type": "revise_plan", "rationale": "a", **other}, "d-1"
        )


async def test_a_role_refusal_comes_from_the_rules_before_any_workflow_is_asked(
    service: DecisionService, workflows: FakeWorkflows
) -> None:
    experiment_id = await _started(service)
    body = {"type": "revise_plan", "rationale": "zelf bedacht", **PLAN}
    with pytest.raises(RuleViolation) as refused:
        await service.decide(
            RESIDENT, "utrecht", experiment_id, body, decision_id="r-1", source="api"
        )
    assert refused.value.code == "role_not_allowed"
    assert (refused.value.stage, refused.value.allowed) == (None, [])
    # The same decision as the domain parses it: the message is the rules' own.
    expected = rules.role_refusal(
        Decision.parse(
            decision_id="r-1",
            type="revise_plan",
            actor=RESIDENT,
            rationale="zelf bedacht",
            source="api",
            payload=PLAN,
        )
    )
    assert expected is not None
    assert refused.value.message == expected.message
    assert workflows.calls == ["start"]


async def test_a_stage_refusal_leaves_the_record_unchanged(
    service: DecisionService, record: FakeRecord
) -> None:
    experiment_id = await _started(service)
    with pytest.raises(RuleViolation) as refused:
        await _decide(
            service, experiment_id, {"type": "advance", "rationale": "nu", "to": "act"}, "a-1"
        )
    assert refused.value.code == "no_plan"
    assert record.experiments[experiment_id].version == 1


async def test_another_municipalitys_experiment_is_not_found(
    service: DecisionService, workflows: FakeWorkflows
) -> None:
    experiment_id = await _started(service)
    with pytest.raises(ExperimentNotFound):
        await service.decide(
            PM,
            "zwolle",
            experiment_id,
            {"type": "revise_plan", "rationale": "x", **PLAN},
            decision_id="z-1",
            source="api",
        )
    assert workflows.calls == ["start"]


async def test_starting_through_decide_is_refused(service: DecisionService) -> None:
    experiment_id = await _started(service)
    with pytest.raises(InvalidInput) as refused:
        await _decide(service, experiment_id, {"type": "start", **START}, "s-2")
    assert refused.value.field == "type"


async def test_a_lost_workflow_is_restarted_from_the_record_and_then_decides(
    service: DecisionService, workflows: FakeWorkflows
) -> None:
    experiment_id = await _started(service)
    workflows.lost.add(experiment_id)
    answer = await _decide(
        service, experiment_id, {"type": "revise_plan", "rationale": "a", **PLAN}, "p-1"
    )
    assert answer.experiment["plan"]["revision"] == 1
    assert workflows.calls == ["start", "decide", "restart", "decide"]


async def test_without_a_workflow_a_repeat_is_answered_from_the_record(
    service: DecisionService, workflows: FakeWorkflows
) -> None:
    experiment_id = await _started(service)
    body = {"type": "revise_plan", "rationale": "a", **PLAN}
    first = await _decide(service, experiment_id, body, "p-1")
    workflows.lost.add(experiment_id)
    again = await _decide(service, experiment_id, dict(body), "p-1")
    assert again.position == first.position
    assert "restart" not in workflows.calls
    with pytest.raises(DecisionIdReused):
        await _decide(service, experiment_id, {**body, "description": "anders"}, "p-1")


async def test_an_answer_that_does_not_come_in_time_is_pending(
    record: FakeRecord, workflows: FakeWorkflows
) -> None:
    service = DecisionService(record, workflows, Sealing(FakePeople()), answer_timeout=0.05)
    experiment_id = await _started(service)
    workflows.hang = True
    with pytest.raises(DecisionPending):
        await _decide(
            service, experiment_id, {"type": "revise_plan", "rationale": "a", **PLAN}, "p-1"
        )


async def test_a_repeat_of_a_decision_sealed_the_old_way_is_still_a_repeat(
    record: FakeRecord, workflows: FakeWorkflows
) -> None:
    people = FakePeople()
    service = DecisionService(record, workflows, Sealing(people), answer_timeout=5)
    experiment_id = await _started(service)
    await _decide(service, experiment_id, {"type": "revise_plan", "rationale": "a", **PLAN}, "p")
    await _decide(service, experiment_id, {"type": "endorse_plan", "rationale": "ja"}, "e")
    await _decide(service, experiment_id, {"type": "advance", "rationale": "nu", "to": "act"}, "a")
    resident = Actor(people.register("utrecht", "Fatima"), Role.RESIDENT, "Fatima")
    finding = {"type": "record_finding", "rationale": "", "text": "Fijn", "source": "residents"}
    # Stored before AES-SIV: the same decision, its values sealed with `sealed:v1:`.
    parsed = Decision.parse(
        decision_id="f-1",
        type="record_finding",
        actor=resident,
        rationale="",
        source="api",
        payload={"text": "Fijn", "source": "residents"},
    )
    first = record.take(experiment_id, Sealing(people).seal_decision(parsed, "utrecht", None, "v1"))
    again = await service.decide(
        resident, "utrecht", experiment_id, dict(finding), decision_id="f-1", source="api"
    )
    assert again.position == first.position
    assert again.repeated
    with pytest.raises(DecisionIdReused):
        await service.decide(
            resident,
            "utrecht",
            experiment_id,
            {**finding, "text": "Iets anders"},
            decision_id="f-1",
            source="api",
        )


NAMED = {
    "type": "record_finding",
    "rationale": "uit het gesprek",
    "text": "het is koud in huis",
    "source": "residents",
    "person": {"name": "Yara", "contact": "yara@example.nl"},
}


async def _in_act(service: DecisionService) -> UUID:
    experiment_id = await _started(service)
    await _decide(service, experiment_id, {"type": "revise_plan", "rationale": "a", **PLAN}, "p")
    await _decide(service, experiment_id, {"type": "endorse_plan", "rationale": "ja"}, "e")
    await _decide(service, experiment_id, {"type": "advance", "rationale": "nu", "to": "act"}, "a")
    return experiment_id


async def test_a_person_named_by_a_refused_decision_is_not_kept(
    record: FakeRecord, workflows: FakeWorkflows
) -> None:
    people = FakePeople()
    service = DecisionService(record, workflows, Sealing(people), answer_timeout=5)
    experiment_id = await _started(service)
    before = set(people.people)
    with pytest.raises(RuleViolation):
        await _decide(service, experiment_id, dict(NAMED), "f-1")
    assert set(people.people) == before
    assert people.claims == {}


async def test_a_person_named_by_an_accepted_decision_is_kept(
    record: FakeRecord, workflows: FakeWorkflows
) -> None:
    people = FakePeople()
    service = DecisionService(record, workflows, Sealing(people), answer_timeout=5)
    experiment_id = await _in_act(service)
    await _decide(service, experiment_id, dict(NAMED), "f-1")
    assert [p.name for p in people.people.values()] == ["Yara"]
    assert (people.claims, people.unconfirmed) == ({}, set())


async def test_an_unanswered_decision_is_settled_later_by_the_record(
    record: FakeRecord, workflows: FakeWorkflows
) -> None:
    people = FakePeople()
    service = DecisionService(record, workflows, Sealing(people), answer_timeout=0.05)
    experiment_id = await _in_act(service)
    workflows.hang = True
    with pytest.raises(DecisionPending):
        await _decide(service, experiment_id, dict(NAMED), "f-1")
    assert people.unconfirmed, "held while the answer is unknown"
    assert service.settle_stale_claims() == 1
    assert "Yara" not in [p.name for p in people.people.values()], "never recorded: dropped"
