"""Sealing a decision and erasing a person, with a people registry and a record in memory."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput, PersonErased, PersonNotFound
from domain.people import sealed_owner
from domain.values import Actor, Role
from services.app.erasure import erase_person
from services.app.sealing import Sealing
from services.infra.crypto import Keyring
from tests.builders import decision
from tests.unit.fakes import FakeKeys, FakePeople, FakeRecord


@pytest.fixture
def people() -> FakePeople:
    return FakePeople()


def _resident(people: FakePeople, name: str = "Fatima") -> Actor:
    return Actor(people.register("utrecht", name), Role.RESIDENT, name)


def test_a_residents_name_and_own_account_are_sealed_with_their_key(people: FakePeople) -> None:
    actor = _resident(people)
    finding = decision("record_finding", actor, text="De coach luistert echt.", source="residents")
    sealed = Sealing(people).seal_decision(finding, "utrecht")
    assert sealed_owner(sealed.actor.name) == actor.id
    assert sealed_owner(sealed.payload["text"]) == actor.id
    assert sealed.payload["personal"] is True
    keyring = Keyring({actor.id: people.keys[actor.id]})
    assert keyring.open(sealed.actor.name) == "Fatima"
    assert keyring.open(sealed.payload["text"]) == "De coach luistert echt."


def test_sealing_twice_gives_the_same_decision(people: FakePeople) -> None:
    """A repeated request must be identical to its first sending (idempotency)."""
    actor = _resident(people)
    finding = decision("record_finding", actor, text="t", source="residents", decision_id="x")
    sealing = Sealing(people)
    assert sealing.seal_decision(finding, "utrecht") == sealing.seal_decision(finding, "utrecht")


def test_a_named_person_is_registered_once_and_their_words_sealed_with_their_key(
    people: FakePeople,
) -> None:
    pm = Actor("key-pm", Role.PROGRAMME_MANAGER, "Petra")
    named = {"name": "Ans Bakker", "contact": "06-1"}
    sealing = Sealing(people)
    first = sealing.seal_decision(
        decision("record_finding", pm, text="Ans vertelde", source="residents", person=named),
        "utrecht",
    )
    again = sealing.seal_decision(
        decision("record_finding", pm, text="Nog eens", source="residents", person=named),
        "utrecht",
    )
    person_id = first.payload["person"]["id"]
    assert again.payload["person"]["id"] == person_id
    assert sealed_owner(first.payload["text"]) == person_id
    assert first.actor.name == "Petra", "a key without a person keeps its name"


def test_naming_an_erased_person_is_refused(people: FakePeople) -> None:
    pm = Actor("key-pm", Role.PROGRAMME_MANAGER, "Petra")
    person_id = people.register("utrecht", "Kees")
    people.forget(person_id, erased_by="admin")
    with pytest.raises(PersonErased):
        Sealing(people).seal_decision(
            decision("record_finding", pm, text="t", source="residents", person={"id": person_id}),
            "utrecht",
        )


def test_values_that_look_sealed_are_refused_from_clients(people: FakePeople) -> None:
    pm = Actor("key-pm", Role.PROGRAMME_MANAGER, "Petra")
    forged = f"sealed:v1:{people.register('utrecht', 'Kees')}:AAAA"
    with pytest.raises(InvalidInput):
        Sealing(people).seal_decision(
            decision("record_lesson", pm, text=forged, themes=["health"]), "utrecht"
        )


def test_sealing_needs_no_lookup_when_the_callers_key_is_known(people: FakePeople) -> None:
    actor = _resident(people)
    finding = decision("record_finding", actor, text="t", source="residents")
    assert Sealing.seals_offline(finding, {actor.id: people.keys[actor.id]})
    assert not Sealing.seals_offline(finding, {})
    named = decision("record_finding", actor, text="t", source="residents", person={"name": "A"})
    assert not Sealing.seals_offline(named, {actor.id: people.keys[actor.id]})


def test_erasure_deletes_the_key_revokes_the_keys_and_records_it(people: FakePeople) -> None:
    person_id = people.register("utrecht", "Kees")
    keys, record = FakeKeys(), FakeRecord()
    done = erase_person(
        people,
        keys,
        record,
        person_id,
        access=[keys],
        erased_by={"id": "admin-1"},
        scope="utrecht",
    )
    assert people.key_of(person_id) is None
    assert keys.revoked == [person_id]
    assert keys.sessions_ended == [person_id]
    assert record.erasures == [(person_id, "utrecht")]
    assert done.position == 1001


def test_erasing_another_municipalitys_person_changes_nothing(people: FakePeople) -> None:
    person_id = people.register("utrecht", "Kees")
    keys, record = FakeKeys(), FakeRecord()
    with pytest.raises(PersonNotFound):
        erase_person(
            people, keys, record, person_id, access=[keys], erased_by={"id": "a"}, scope="zwolle"
        )
    assert people.key_of(person_id) is not None
    assert (keys.revoked, keys.sessions_ended, record.erasures) == ([], [], [])
