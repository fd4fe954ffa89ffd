"""The lessons commons in pure code: what a publication may name, how the fold keeps a
lesson's first publication, and an Atom feed that stays well-formed whatever a lesson holds."""

from __future__ import annotations

import uuid
import xml.dom.minidom
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.commons import PublicationRefused, check_publication, parse_publish
from domain.errors import InvalidInput
from domain.experiment import Experiment
from projections.fold import Fold
from services.api.open_data import atom_feed
from services.infra.crypto import new_key, seal
from tests.builders import PM, RESIDENT, decision, one_cycle, start

PERSON = "prs_" + "b" * 32


def recorded(**decisions: Any) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    return {key: (kind, {"id": "pm-1", "role": "programme_manager"}, payload)
            for key, (kind, payload) in decisions.items()}  # fmt: skip


BODY = {"lesson": "les", "evidence_level": "effective", "supporting": ["f1"]}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"evidence_level": "described"}, "lesson"),
        ({"lesson": "les"}, "evidence_level"),
        ({"lesson": "les", "evidence_level": "bewezen"}, "evidence_level"),
        ({"lesson": "les", "evidence_level": "described", "supporting": "f1"}, "supporting"),
        (
            {"lesson": "les", "evidence_level": "described", "supporting": ["f1", "f1"]},
            "supporting",
        ),
        ({"lesson": "les", "evidence_level": "described", "supporting": ["f"] * 51}, "supporting"),
        ({"lesson": "les", "evidence_level": "described", "supporting": [3]}, "supporting"),
        ({"lesson": "x" * 201, "evidence_level": "described"}, "lesson"),
        ({"lesson": "les", "evidence_level": "described", "conditions": 5}, "conditions"),
    ],
)
def test_a_publication_that_says_nothing_clear_is_refused(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_publish(raw)
    assert refused.value.field == field


def test_what_a_publication_may_name() -> None:
    lesson = ("record_lesson", {"text": "samen"})
    finding = ("record_finding", {"text": "gezien", "source": "data"})
    check_publication(BODY, recorded(les=lesson, f1=finding))
    sealed = seal(new_key(), PERSON, "mijn eigen woorden")
    for found, code in (
        (recorded(f1=finding), "lesson_not_of_experiment"),
        (recorded(les=finding, f1=finding), "lesson_not_of_experiment"),
        (recorded(les=("record_lesson", {"text": sealed}), f1=finding), "lesson_personal"),
        (recorded(les=("record_lesson", {"text": "x", "personal": True}), f1=finding),
         "lesson_personal"),
        (recorded(les=lesson), "supporting_not_of_experiment"),
        (recorded(les=lesson, f1=lesson), "supporting_not_of_experiment"),
    ):  # fmt: skip
        with pytest.raises(PublicationRefused) as refused:
            check_publication(BODY, found)
        assert refused.value.code == code


def test_the_fold_keeps_a_lessons_first_publication_however_it_is_batched() -> None:
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    experiment = Experiment.start(start(), experiment_id=uuid.uuid4(), at=at)
    cycle = one_cycle()
    for d in cycle[:-1]:
        experiment.decide(d, at=at)
    lesson = next(d for d in cycle if d.type.value == "record_lesson").decision_id
    for n, level in enumerate(("described", "effective"), start=1):
        experiment.decide(
            decision("publish_lesson", PM, lesson=lesson, evidence_level=level),
            at=at + timedelta(days=n),
        )
    events = list(experiment.collect_events())
    one_batch = Fold()
    for position, event in enumerate(events, start=1):
        one_batch.add(event, position)
    (kept,) = one_batch.publications.values()
    assert kept["evidence_level"] == "effective"
    assert kept["first_published_at"] == (at + timedelta(days=1)).isoformat()
    assert kept["published_at"] == (at + timedelta(days=2)).isoformat()


def test_the_feed_stays_well_formed_whatever_a_lesson_holds() -> None:
    lesson = {
        "experiment_id": str(uuid.uuid4()),
        "lesson_id": "les-1",
        "municipality": "utrecht",
        "text": "Samen\x01 koken\x0b werkt <echt> & \ud7ff goed",
        "evidence_level": "described",
        "conditions": None,
        "themes": ["health"],
        "cycle": 1,
        "published_at": "2026-03-02T10:00:00+00:00",
        "first_published_at": "2026-03-02T10:00:00+00:00",
        "supporting": [],
        "experiment": {
            "title": "Koken\x0c in de buurt",
            "neighbourhood": {"code": "WK1", "name": "Oost"},
        },
    }
    feed = atom_feed([lesson], "http://wijklab.test", "http://wijklab.test/open/lessons.atom")
    parsed = xml.dom.minidom.parseString(feed)
    content = parsed.getElementsByTagName("content")[0].firstChild.data  # type: ignore[union-attr]
    assert content.startswith("Samen koken werkt <echt> &")


def test_a_residents_lesson_sealed_with_their_key_is_personal() -> None:
    """What the use case hands the check: the stored decision, sealed as the record holds it."""
    sealed = seal(new_key(), PERSON, "ons eigen verhaal")
    own = decision("record_lesson", RESIDENT, text=sealed, themes=[])
    with pytest.raises(PublicationRefused):
        check_publication(
            {"lesson": own.decision_id, "evidence_level": "described", "supporting": []},
            {own.decision_id: (own.type.value, own.actor.to_dict(), own.payload)},
        )
