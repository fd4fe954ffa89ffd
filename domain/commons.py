"""The lessons commons: a lesson published for every municipality, and how strong it is.

A programme manager publishes a lesson of their experiment with `publish_lesson`, saying how
well it is founded (Movisie's levels: *goed beschreven*, *goed onderbouwd*, *effectief*) and
which findings of the experiment it rests on. Only what is not personal leaves the
municipality: a lesson whose text is a person's own (sealed with their key) is never
published, and a supporting finding that is personal is named by its source only.

The checks that need the record (is the lesson one of this experiment's, is it personal, are
the supporting findings this experiment's) are pure here; the use case looks the decisions
up and hands them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput
from domain.people import sealed_paths
from domain.values import MAX_TEXT, enum_value, text

Payload = dict[str, Any]

# A lesson rests on a handful of findings; a longer list is no longer a pointer.
MAX_SUPPORTING = 50
# The licence under which the commons is open data (stated in every open-data answer).
LICENCE_NAME = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


class EvidenceLevel(StrEnum):
    """How well a lesson is founded, weakest first."""

    DESCRIBED = "described"
    SUBSTANTIATED = "substantiated"
    EFFECTIVE = "effective"


class PublicationRefused(InvalidInput):
    """A `publish_lesson` that names something it may not publish or rest on."""

    def __init__(self, code: str, message: str, *, field: str) -> None:
        super().__init__(message, field=field)
        self.code = code


def _decision_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidInput(f"{field} is a decision id", field=field)
    return value


def parse_publish(raw: Payload) -> Payload:
    """`{lesson, evidence_level, supporting?, conditions?}` checked and normalised."""
    evidence_level = enum_value(EvidenceLevel, raw.get("evidence_level"), "evidence_level")
    supporting = raw.get("supporting", [])
    if not isinstance(supporting, list) or len(supporting) > MAX_SUPPORTING:
        raise InvalidInput(
            f"supporting is a list of at most {MAX_SUPPORTING} decision ids", field="supporting"
        )
    ids = [_decision_id(one, "supporting") for one in supporting]
    if len(set(ids)) != len(ids):
        raise InvalidInput("each supporting decision once", field="supporting")
    body: Payload = {
        "lesson": _decision_id(raw.get("lesson"), "lesson"),
        "evidence_level": evidence_level.value,
        "supporting": ids,
    }
    if raw.get("conditions") is not None:
        body["conditions"] = text(raw["conditions"], "conditions", max_length=MAX_TEXT)
    return body


def is_personal(actor: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """Whether a recorded decision's text is a person's own: sealed with their key, or
    marked personal."""
    if payload.get("personal") is True:
        return True
    return any(path == "payload.text" for path, _ in sealed_paths(dict(actor), dict(payload)))


def check_publication(
    body: Payload,
    recorded: Mapping[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]],
) -> None:
    """Refuse a publication whose lesson or supporting findings are not this experiment's,
    or whose lesson is personal. `recorded` maps the named decision ids found in this
    experiment's record to `(decision type, actor, payload)` as stored."""
    lesson = recorded.get(body["lesson"])
    if lesson is None or lesson[0] != "record_lesson":
        raise PublicationRefused(
            "lesson_not_of_experiment",
            f"{body['lesson']} is not a lesson recorded in this experiment",
            field="lesson",
        )
    if is_personal(lesson[1], lesson[2]):
        raise PublicationRefused(
            "lesson_personal",
            "a personal lesson is a person's own words and is never published",
            field="lesson",
        )
    for one in body["supporting"]:
        found = recorded.get(one)
        if found is None or found[0] != "record_finding":
            raise PublicationRefused(
                "supporting_not_of_experiment",
                f"{one} is not a finding recorded in this experiment",
                field="supporting",
            )
