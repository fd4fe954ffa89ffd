"""Decisions: the only way an experiment changes.

A request's fields are checked here once and turned into a normalised payload of plain JSON
values. That payload is what the event stores and what the state is folded from, so replaying
years-old events never depends on today's input checks.

Longer than 200 lines, and whole on purpose: every decision type's checks sit beside the
others, so that what a payload may hold is read in one place.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain import commons, endorsement
from domain.errors import InvalidInput
from domain.people import is_person_id, parse_person
from domain.values import (
    MAX_SHORT_TEXT,
    Actor,
    BudgetLine,
    FindingSource,
    Indicator,
    Neighbourhood,
    Outcome,
    Stage,
    check_visible,
    enum_value,
    fingerprint_of,
    number,
    text,
    themes,
)


class DecisionType(StrEnum):
    START = "start"
    REVISE_PLAN = "revise_plan"
    ENDORSE_PLAN = "endorse_plan"
    ADVANCE = "advance"
    RECORD_FINDING = "record_finding"
    RECORD_LESSON = "record_lesson"
    CLOSE = "close"
    STAGE_DUE = "stage_due"
    STAGE_OVERDUE = "stage_overdue"
    # Version 2: endorsement rounds (see `domain.endorsement`).
    OPEN_ENDORSEMENT = "open_endorsement"
    ENDORSE = "endorse"
    OBJECT = "object"
    RECORD_MEETING_VOTE = "record_meeting_vote"
    CO_SIGN = "co_sign"
    ENDORSEMENT_REACHED = "endorsement_reached"
    ENDORSEMENT_FAILED = "endorsement_failed"
    # Two days before a round closes: the workflow says so (residents are reminded).
    ENDORSEMENT_CLOSING = "endorsement_closing"
    # Version 2: the programme manager responsible for the experiment.
    ASSIGN_OWNER = "assign_owner"
    # Version 2: a lesson published for every municipality (see `domain.commons`).
    PUBLISH_LESSON = "publish_lesson"


# Decisions the experiment's workflow takes itself, on a timer or a threshold.
TIMER_DECISIONS = frozenset(
    {
        DecisionType.STAGE_DUE,
        DecisionType.STAGE_OVERDUE,
        DecisionType.ENDORSEMENT_REACHED,
        DecisionType.ENDORSEMENT_FAILED,
        DecisionType.ENDORSEMENT_CLOSING,
    }
)

# Decisions about an experiment that are no step of its cycle: naming its responsible
# manager, sharing a lesson. Always open to a manager, and nothing waits less for them.
BOOKKEEPING = frozenset({DecisionType.ASSIGN_OWNER, DecisionType.PUBLISH_LESSON})

# The rules an experiment runs under, fixed when it starts (`rules` in its start payload):
# 1 for those begun before endorsement rounds (one `endorse_plan` endorses a plan), 2 since.
RULES_ROUNDS = 2

Payload = dict[str, Any]

DEFAULT_ACT_DAYS = 90
MAX_ACT_DAYS = 3650
MAX_LIST = 100
MAX_DECISION_ID = 200
# A new decision id (an Idempotency-Key, a webhook-id): letters, digits and `_.:-`, starting
# with a letter or digit, so that it can never be a spreadsheet formula or a path. UUIDs and
# the `msg_…` ids of Standard Webhooks senders fit.
DECISION_ID_PATTERN = f"^[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{MAX_DECISION_ID - 1}}}$"
# What ids already in the record may be: printable ASCII without spaces (version 1 allowed
# that), still accepted when a stored decision is read back or replayed.
STORED_DECISION_ID_PATTERN = f"^[!-~]{{1,{MAX_DECISION_ID}}}$"

_NEW_DECISION_ID = re.compile(DECISION_ID_PATTERN)
TIMER_ID_PREFIX = "timer:"
_DECISION_ID = re.compile(STORED_DECISION_ID_PATTERN)
_SOURCE = re.compile(r"^(api|timer|webhook:[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")


def check_new_decision_id(value: Any) -> str:
    """A decision id a client chose (Idempotency-Key, webhook-id), before it is used."""
    if not isinstance(value, str) or not _NEW_DECISION_ID.match(value):
        raise InvalidInput(
            f"decision id must be 1 to {MAX_DECISION_ID} letters, digits or the characters "
            "'_.:-', starting with a letter or digit",
            field="decision_id",
        )
    if value.startswith(TIMER_ID_PREFIX):
        # The ids of the decisions timers take: a client's could pre-empt one, and the
        # timer would find its id taken.
        raise InvalidInput(
            f"decision ids starting with {TIMER_ID_PREFIX!r} are wijklab's own",
            field="decision_id",
        )
    return value


def check_decision_id(value: Any) -> str:
    """A decision id as the record may hold it: printable ASCII, bounded."""
    if not isinstance(value, str) or not _DECISION_ID.match(value):
        raise InvalidInput(
            f"decision id must be 1 to {MAX_DECISION_ID} printable ASCII characters without spaces",
            field="decision_id",
        )
    return value


def check_source(value: Any) -> str:
    if not isinstance(value, str) or not _SOURCE.match(value):
        raise InvalidInput("source must be api, timer or webhook:<integration>", field="source")
    return value


def _bounded_list(value: Any, field_name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{field_name} must be a list", field=field_name)
    if len(value) > MAX_LIST:
        raise InvalidInput(f"{field_name} may hold at most {MAX_LIST} items", field=field_name)
    return value


def _act_days(value: Any) -> int:
    if value is None:
        return DEFAULT_ACT_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ACT_DAYS:
        raise InvalidInput(
            f"act_days must be a whole number from 1 to {MAX_ACT_DAYS}", field="act_days"
        )
    return value


def _programme_id(value: Any) -> str:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else ""
    except ValueError:
        return ""


def _start(raw: Payload) -> Payload:
    body = _started(raw)
    # Present only when given, so starts outside a programme are as they always were.
    if raw.get("programme_id") is not None:
        programme = _programme_id(raw["programme_id"])
        if not programme:
            raise InvalidInput("programme_id is a programme's id (a UUID)", field="programme_id")
        body["programme_id"] = programme
    return body


def _started(raw: Payload) -> Payload:
    return {
        "municipality": text(raw.get("municipality"), "municipality", max_length=MAX_SHORT_TEXT),
        "neighbourhood": Neighbourhood.parse(raw.get("neighbourhood")).to_dict(),
        "title": text(raw.get("title"), "title", max_length=MAX_SHORT_TEXT),
        "question": text(raw.get("question"), "question"),
        "residents_agenda": text(raw.get("residents_agenda"), "residents_agenda"),
        "themes": [t.value for t in themes(raw.get("themes"))],
        "act_days": _act_days(raw.get("act_days")),
    }


def _revise_plan(raw: Payload) -> Payload:
    indicators = [
        Indicator.parse(item, f"indicators[{i}]").to_dict()
        for i, item in enumerate(_bounded_list(raw.get("indicators"), "indicators"))
    ]
    names = [i["name"] for i in indicators]
    if len(set(names)) != len(names):
        raise InvalidInput("indicator names must be unique within a plan", field="indicators")
    body: Payload = {
        "description": text(raw.get("description"), "description"),
        "indicators": indicators,
        "budget": [
            BudgetLine.parse(item, f"budget[{i}]").to_dict()
            for i, item in enumerate(_bounded_list(raw.get("budget"), "budget"))
        ],
    }
    # Present only when given, so plans without co-signers are as they always were.
    if raw.get("co_signers") is not None:
        body["co_signers"] = endorsement.parse_co_signers(raw["co_signers"])
    return body


def _advance(raw: Payload) -> Payload:
    return {"to": enum_value(Stage, raw.get("to"), "to").value}


def _about(raw: Payload, body: Payload) -> Payload:
    """The optional person a decision names, and whether its text is personal (see
    `domain.people`); present in the payload only when given, so older payloads are unchanged."""
    person = parse_person(raw.get("person"))
    if person is not None:
        body["person"] = person
    return _personal(raw, body)


def _vote(raw: Payload) -> Payload:
    """A resident's vote, whose comment is their own words (see `_personal`)."""
    return _personal(raw, endorsement.parse_vote(raw))


def _personal(raw: Payload, body: Payload) -> Payload:
    """Whether the decision's text is personal, when said."""
    personal = raw.get("personal")
    if personal is not None:
        if not isinstance(personal, bool):
            raise InvalidInput("personal must be true or false", field="personal")
        body["personal"] = personal
    return body


def _record_finding(raw: Payload) -> Payload:
    indicator = raw.get("indicator")
    value = raw.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
        raise InvalidInput("value must be a string or a number", field="value")
    if indicator is not None and value is not None:
        # A measurement of an indicator: a number (a Dutch decimal comma too).
        number(value, "value")
    body: Payload = {}
    # Who residents spoke through when someone else records their finding (a meeting, a
    # survey); present only when given.
    if raw.get("on_behalf_of") is not None:
        body["on_behalf_of"] = text(raw["on_behalf_of"], "on_behalf_of", max_length=MAX_SHORT_TEXT)
    return _about(
        raw,
        body
        | {
            "text": text(raw.get("text"), "text"),
            "source": enum_value(FindingSource, raw.get("source"), "source").value,
            "indicator": None
            if indicator is None
            else text(indicator, "indicator", max_length=MAX_SHORT_TEXT),
            "value": None
            if value is None
            else text(str(value), "value", max_length=MAX_SHORT_TEXT),
        },
    )


def _record_lesson(raw: Payload) -> Payload:
    return _about(
        raw,
        {
            "text": text(raw.get("text"), "text"),
            "themes": [t.value for t in themes(raw.get("themes"), required=False)],
        },
    )


def _endorse_plan(raw: Payload) -> Payload:
    return _about(raw, {})


def _assign_owner(raw: Payload) -> Payload:
    person_id = raw.get("person_id")
    if not is_person_id(person_id):
        raise InvalidInput(
            "person_id is a person's id: prs_ followed by 32 hex digits", field="person_id"
        )
    return {"person_id": person_id}


def _close(raw: Payload) -> Payload:
    return {"outcome": enum_value(Outcome, raw.get("outcome"), "outcome").value}


def _empty(raw: Payload) -> Payload:
    return {}


_PARSERS: dict[DecisionType, Callable[[Payload], Payload]] = {
    DecisionType.START: _start,
    DecisionType.REVISE_PLAN: _revise_plan,
    DecisionType.ENDORSE_PLAN: _endorse_plan,
    DecisionType.ADVANCE: _advance,
    DecisionType.RECORD_FINDING: _record_finding,
    DecisionType.RECORD_LESSON: _record_lesson,
    DecisionType.CLOSE: _close,
    DecisionType.STAGE_DUE: _empty,
    DecisionType.STAGE_OVERDUE: _empty,
    DecisionType.OPEN_ENDORSEMENT: endorsement.parse_open,
    DecisionType.ENDORSE: _vote,
    DecisionType.OBJECT: _vote,
    DecisionType.RECORD_MEETING_VOTE: endorsement.parse_meeting_vote,
    DecisionType.CO_SIGN: endorsement.parse_co_sign,
    DecisionType.ENDORSEMENT_REACHED: endorsement.parse_closing,
    DecisionType.ENDORSEMENT_FAILED: endorsement.parse_closing,
    DecisionType.ENDORSEMENT_CLOSING: endorsement.parse_closing,
    DecisionType.ASSIGN_OWNER: _assign_owner,
    DecisionType.PUBLISH_LESSON: commons.parse_publish,
}

# A finding, a lesson or a resident's vote is its own justification; every other decision
# must say why.
_RATIONALE_OPTIONAL = frozenset(
    {
        DecisionType.RECORD_FINDING,
        DecisionType.RECORD_LESSON,
        DecisionType.ENDORSE,
        DecisionType.OBJECT,
        DecisionType.CO_SIGN,
        # The evidence level and the findings it rests on say why.
        DecisionType.PUBLISH_LESSON,
    }
)


MAX_EVIDENCE = 20


def _evidence_ids(value: Any) -> list[str]:
    """The ids of the files a decision rests on (see `domain.evidence`): canonical UUIDs,
    each once, at most `MAX_EVIDENCE`."""
    if not isinstance(value, list) or not value:
        raise InvalidInput("evidence must be a non-empty list of evidence ids", field="evidence")
    if len(value) > MAX_EVIDENCE:
        raise InvalidInput(f"a decision rests on at most {MAX_EVIDENCE} files", field="evidence")
    found: list[str] = []
    for item in value:
        try:
            one = str(uuid.UUID(item)) if isinstance(item, str) else None
        except ValueError:
            one = None
        if one is None:
            raise InvalidInput("an evidence id is a UUID", field="evidence")
        if one in found:
            raise InvalidInput("each evidence id once", field="evidence")
        found.append(one)
    return found


def parse_payload(kind: DecisionType, raw: Any) -> Payload:
    if not isinstance(raw, dict):
        raise InvalidInput("decision fields must be an object", field="payload")
    body = _PARSERS[kind](raw)
    # Present only when given, so payloads without evidence are as they always were.
    if raw.get("evidence") is not None and kind not in (DecisionType.START, *TIMER_DECISIONS):
        body["evidence"] = _evidence_ids(raw["evidence"])
    return body


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision as taken: who, what, why, through which channel, with its normalised payload."""

    decision_id: str
    type: DecisionType
    actor: Actor
    rationale: str
    source: str
    payload: Payload = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        *,
        decision_id: Any,
        type: Any,
        actor: Actor,
        rationale: Any,
        source: Any,
        payload: Any,
    ) -> Decision:
        kind = enum_value(DecisionType, type, "type")
        body = parse_payload(kind, payload)
        if kind in (DecisionType.ENDORSE, DecisionType.OBJECT):
            # One standing vote per person: the voter is who votes, never what the body says.
            body["voter"] = actor.id
        if kind is DecisionType.START and not rationale:
            # An experiment starts from the residents' question: that is its reason.
            rationale = body["residents_agenda"]
        return cls(
            decision_id=check_decision_id(decision_id),
            type=kind,
            actor=actor,
            rationale=text(rationale, "rationale", required=kind not in _RATIONALE_OPTIONAL),
            source=check_source(source),
            payload=body,
        )

    def fingerprint(self) -> str:
        """What the decision asks for, so a reused decision id can be told from a repeat.

        The rules a start is given by the workflow (`rules`) are not asked for by anyone, so
        a start sent again before and after an upgrade is still the same start.
        """
        payload = self.payload
        if self.type is DecisionType.START and "rules" in payload:
            payload = {k: v for k, v in payload.items() if k != "rules"}
        return fingerprint_of(self.type.value, payload)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "type": self.type.value,
            "actor": self.actor.to_dict(),
            "rationale": self.rationale,
            "source": self.source,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """Trusting constructor for decisions already checked once (stored or in flight)."""
        actor = data["actor"]
        return cls(
            decision_id=data["decision_id"],
            type=DecisionType(data["type"]),
            actor=Actor.from_dict(actor),
            rationale=data["rationale"],
            source=data["source"],
            payload=data.get("payload", {}),
        )


def check_names(decision: Decision) -> None:
    """Names and titles in a new decision show what they say (`values.check_visible`).

    Checked where a decision enters wijklab, not when a stored one is read back or replayed:
    decisions recorded before this rule keep working.
    """
    payload = decision.payload
    if decision.type is DecisionType.START:
        check_visible(payload["title"], "title")
        check_visible(payload["neighbourhood"]["name"], "neighbourhood.name")
    person = payload.get("person")
    if isinstance(person, dict) and isinstance(person.get("name"), str):
        check_visible(person["name"], "person.name")
    for i, indicator in enumerate(payload.get("indicators") or ()):
        check_visible(indicator["name"], f"indicators[{i}].name")
