"""Sealing personal data for one person: deterministic, bound to its person, gone with the key."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.decisions import DecisionType, parse_payload
from domain.errors import InvalidInput
from domain.people import parse_person, sealed_owner, sealed_paths
from domain.values import MAX_SHORT_TEXT, text
from services.infra.crypto import Keyring, open_sealed, seal
from services.stores.people import new_person_id

KEY = secrets.token_bytes(32)
PERSON = new_person_id()


@given(st.text(min_size=1, max_size=MAX_SHORT_TEXT))
def test_sealed_text_opens_with_its_key_and_passes_the_domain_checks(plain: str) -> None:
    sealed = seal(KEY, PERSON, plain)
    assert sealed_owner(sealed) == PERSON
    assert open_sealed(KEY, sealed) == plain
    assert seal(KEY, PERSON, plain) == sealed, "the same text seals the same (idempotency)"
    # The workflow checks fields again: a sealed value of a valid text must pass.
    assert text(sealed, "name", max_length=MAX_SHORT_TEXT) == sealed


def test_different_texts_never_share_a_nonce() -> None:
    a, b = seal(KEY, PERSON, "Fatima"), seal(KEY, PERSON, "Fatimb")
    assert a.split(":")[-1][:16] != b.split(":")[-1][:16]


def test_a_sealed_value_moved_to_another_person_does_not_open() -> None:
    other = new_person_id()
    sealed = seal(KEY, PERSON, "Fatima").replace(PERSON, other)
    assert Keyring({other: KEY}).open(sealed) is None


def test_without_the_key_nothing_opens() -> None:
    sealed = seal(KEY, PERSON, "Fatima")
    assert Keyring({}).open(sealed) is None
    assert Keyring({PERSON: secrets.token_bytes(32)}).open(sealed) is None
    assert Keyring({}).open("plain text") == "plain text"


def test_a_person_is_named_by_id_or_by_name_never_by_both_in_the_clear() -> None:
    assert parse_person({"id": PERSON}) == {"id": PERSON}
    assert parse_person({"name": " Fatima "}) == {"name": "Fatima", "contact": ""}
    with pytest.raises(InvalidInput):
        parse_person({"id": PERSON, "name": "Fatima"})
    with pytest.raises(InvalidInput):
        parse_person({"id": "prs_nope"})
    sealed = {"id": PERSON, "name": seal(KEY, PERSON, "Fatima")}
    assert parse_person(sealed) == sealed


def test_personal_flag_and_person_are_checked_and_kept_only_when_given() -> None:
    assert "personal" not in parse_payload(DecisionType.RECORD_LESSON, {"text": "les"})
    with pytest.raises(InvalidInput):
        parse_payload(DecisionType.RECORD_LESSON, {"text": "les", "personal": "yes"})
    body = parse_payload(
        DecisionType.RECORD_FINDING, {"text": "t", "source": "residents", "personal": False}
    )
    assert body["personal"] is False


def test_sealed_paths_name_every_sealed_value_and_its_owner() -> None:
    other = new_person_id()
    actor = {"id": PERSON, "role": "resident", "name": seal(KEY, PERSON, "Fatima")}
    payload = {
        "text": seal(KEY, other, "verhaal"),
        "person": {"id": other, "name": seal(KEY, other, "Piet")},
    }
    assert sorted(sealed_paths(actor, payload)) == [
        ("actor.name", PERSON),
        ("payload.person.name", other),
        ("payload.text", other),
    ]


def test_new_values_are_sealed_with_aes_siv_and_older_ones_stay_readable() -> None:
    current = seal(KEY, PERSON, "Fatima")
    assert current.startswith(f"sealed:v2:{PERSON}:")
    assert seal(KEY, PERSON, "Fatima") == current, "AES-SIV is deterministic"
    legacy = seal(KEY, PERSON, "Fatima", "v1")
    assert legacy.startswith(f"sealed:v1:{PERSON}:")
    assert open_sealed(KEY, legacy) == open_sealed(KEY, current) == "Fatima"
    keyring = Keyring({PERSON: KEY})
    assert keyring.open(legacy) == keyring.open(current) == "Fatima"
    assert sealed_owner(current) == sealed_owner(legacy) == PERSON


def test_a_tampered_sealed_value_opens_to_nothing() -> None:
    current = seal(KEY, PERSON, "Fatima")
    body = current.rsplit(":", 1)[1]
    flipped = ("B" if body[0] != "B" else "C") + body[1:]
    assert Keyring({PERSON: KEY}).open(current.replace(body, flipped)) is None
