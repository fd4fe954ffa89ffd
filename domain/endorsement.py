"""Endorsement rounds: residents endorse a plan by a threshold of votes, not by one click.

A programme manager opens a round on the current plan revision with a deadline and a
threshold (a number of endorsements, or a share of the residents invited to the experiment).
Each resident has one standing vote per round, `endorse` or `object`; a later vote replaces
the earlier. A residents' meeting's vote, recorded by the manager with its evidence, counts as
one and stays marked as a meeting. Organisations the plan names as co-signers each co-sign.
The round is reached when the endorsements meet the threshold and every co-signer signed; the
experiment's workflow records that as soon as it is so, or records the failure at the
deadline. Revising the plan supersedes the round and opens the next one on the new revision,
with the same threshold and length.

Pure: payload checks, the round's fold and its tally. Which decision may be taken when lives
in `domain.endorsement_rules`; the fold is called from `domain.state`.

Longer than 200 lines, and whole on purpose: what a round's decisions may say and what they do
to the round are read side by side; split, a field of a vote would be checked in one module
and counted in another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput
from domain.values import MAX_SHORT_TEXT, text

MAX_COUNT = 100_000
# A round asks residents now, not next year: its last day is within this many days.
MAX_ROUND_DAYS = 366
MAX_CO_SIGNERS = 20
# How long before a round closes residents are reminded that it will.
CLOSING_NOTICE = timedelta(days=2)


class Vote(StrEnum):
    ENDORSE = "endorse"
    OBJECT = "object"


class RoundStatus(StrEnum):
    OPEN = "open"
    REACHED = "reached"
    FAILED = "failed"
    # The plan was revised while the round was open: the next round asks about the new plan.
    SUPERSEDED = "superseded"


# --- payload checks -------------------------------------------------------------------


def _whole(value: Any, field_name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
        raise InvalidInput(
            f"{field_name} must be a whole number from {minimum} to {MAX_COUNT}", field=field_name
        )
    return value


def _day(value: Any, field_name: str) -> date:
    if not isinstance(value, str):
        raise InvalidInput(f"{field_name} must be a date (YYYY-MM-DD)", field=field_name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field_name} must be a date (YYYY-MM-DD)", field=field_name) from None


def closing_moment(closes_on: date) -> datetime:
    """When a round closing on `closes_on` closes: once that day has ended everywhere in the
    Netherlands (midnight UTC after it), so no one loses a vote to a time zone."""
    return datetime.combine(closes_on + timedelta(days=1), time(0), tzinfo=UTC)


def parse_threshold(value: Any) -> dict[str, Any]:
    """`{count: N}` (N ≥ 1) or `{share: s}` (0 < s ≤ 1)."""
    if not isinstance(value, dict) or len(value) != 1 or not {"count", "share"} & set(value):
        raise InvalidInput("threshold must be {count: N} or {share: 0.0-1.0}", field="threshold")
    if "count" in value:
        return {"count": _whole(value["count"], "threshold.count", minimum=1)}
    share = value["share"]
    if (
        isinstance(share, bool)
        or not isinstance(share, int | float)
        or not math.isfinite(share)
        or not 0 < share <= 1
    ):
        raise InvalidInput(
            "threshold.share must be a number above 0 and at most 1", field="threshold.share"
        )
    return {"share": float(share)}


def parse_open(raw: dict[str, Any]) -> dict[str, Any]:
    """`open_endorsement`: the deadline, the threshold, and (filled in by wijklab, not the
    caller) how many residents were invited to the experiment when the round opened."""
    closes_on = _day(raw.get("closes_on"), "closes_on")
    if closes_on >= date.max:
        raise InvalidInput("closes_on must be a date (YYYY-MM-DD)", field="closes_on")
    return {
        "closes_on": closes_on.isoformat(),
        "closes_at": closing_moment(closes_on).isoformat(),
        "threshold": parse_threshold(raw.get("threshold")),
        "electorate": _whole(raw.get("electorate", 0), "electorate"),
    }


def parse_vote(raw: dict[str, Any]) -> dict[str, Any]:
    """`endorse` / `object`: an optional comment (the resident's own words, kept as `text`
    so it is sealed like every personal account) and optionally the round it is meant for."""
    body: dict[str, Any] = {}
    comment = raw.get("comment", raw.get("text"))
    if comment is not None:
        body["text"] = text(comment, "comment")
    if raw.get("round") is not None:
        body["round"] = _whole(raw["round"], "round", minimum=1)
    return body


def parse_meeting_vote(raw: dict[str, Any]) -> dict[str, Any]:
    """`record_meeting_vote`: a residents' meeting's show of hands, on its evidence."""
    counts = {key: _whole(raw.get(key), key) for key in ("for", "against", "abstain")}
    attendees = _whole(raw.get("attendees"), "attendees", minimum=1)
    if sum(counts.values()) > attendees:
        raise InvalidInput(
            f"{sum(counts.values())} votes were cast but only {attendees} attended",
            field="attendees",
        )
    if not raw.get("evidence"):
        raise InvalidInput(
            "a meeting's vote rests on evidence: the minutes or the list of attendees",
            field="evidence",
        )
    return {
        "held_on": _day(raw.get("held_on"), "held_on").isoformat(),
        **counts,
        "attendees": attendees,
    }


def parse_co_sign(raw: dict[str, Any]) -> dict[str, Any]:
    """`co_sign`: the partner's organisation (wijklab fills it in from the partner's account)."""
    return {
        "organisation": text(raw.get("organisation"), "organisation", max_length=MAX_SHORT_TEXT)
    }


def parse_co_signers(value: Any) -> list[str]:
    """The organisations a plan names as co-signers: distinct names, at most a few."""
    if not isinstance(value, list) or len(value) > MAX_CO_SIGNERS:
        raise InvalidInput(
            f"co_signers must be a list of at most {MAX_CO_SIGNERS} organisations",
            field="co_signers",
        )
    names = [text(v, f"co_signers[{i}]", max_length=MAX_SHORT_TEXT) for i, v in enumerate(value)]
    if len({n.casefold() for n in names}) != len(names):
        raise InvalidInput("each co-signing organisation once", field="co_signers")
    return names


def parse_closing(raw: dict[str, Any]) -> dict[str, Any]:
    """`endorsement_reached` / `endorsement_failed` / `endorsement_closing`, recorded by the
    workflow with the tally (and, for the last, the day the round closes)."""
    body: dict[str, Any] = {
        "round": _whole(raw.get("round"), "round", minimum=1),
        "endorsements": _whole(raw.get("endorsements", 0), "endorsements"),
        "objections": _whole(raw.get("objections", 0), "objections"),
        "needed": _whole(raw.get("needed", 0), "needed"),
    }
    if raw.get("closes_on") is not None:
        body["closes_on"] = _day(raw["closes_on"], "closes_on").isoformat()
    voted = raw.get("voted")
    if voted is not None:
        if not isinstance(voted, list) or not all(isinstance(v, str) for v in voted):
            raise InvalidInput("voted lists the voters' ids", field="voted")
        body["voted"] = voted
    return body


# --- the round ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Round:
    """One endorsement round and every vote standing in it."""

    number: int
    revision: int
    opened_at: datetime
    closes_on: str
    closes_at: datetime
    threshold: dict[str, Any]
    electorate: int
    co_signers: tuple[str, ...] = ()
    # Voter (a person's pseudonymous id, or a meeting's decision id) -> their standing vote.
    votes: dict[str, str] = field(default_factory=dict)
    meetings: tuple[str, ...] = ()
    co_signed: tuple[str, ...] = ()
    status: RoundStatus = RoundStatus.OPEN
    closed_at: datetime | None = None
    # Whether the workflow said the round closes in two days (and residents were reminded).
    closing_announced: bool = False

    @property
    def is_open(self) -> bool:
        return self.status is RoundStatus.OPEN

    @property
    def needed(self) -> int:
        """How many endorsements reach the threshold."""
        if "count" in self.threshold:
            return int(self.threshold["count"])
        # A small tolerance, so that 0.6 of 10 asks for 6 and not 7 by floating point.
        return max(1, math.ceil(float(self.threshold["share"]) * self.electorate - 1e-9))

    @property
    def endorsements(self) -> int:
        return sum(1 for v in self.votes.values() if v == Vote.ENDORSE)

    @property
    def objections(self) -> int:
        return sum(1 for v in self.votes.values() if v == Vote.OBJECT)

    @property
    def missing_co_signers(self) -> tuple[str, ...]:
        return tuple(o for o in self.co_signers if o not in self.co_signed)

    @property
    def met(self) -> bool:
        return self.endorsements >= self.needed and not self.missing_co_signers

    def tally(self) -> dict[str, int]:
        """What the closing decision records."""
        return {
            "round": self.number,
            "endorsements": self.endorsements,
            "objections": self.objections,
            "needed": self.needed,
        }

    def voted(self, voter: str, vote: Vote) -> Round:
        return replace(self, votes={**self.votes, voter: vote.value})

    def meeting_voted(self, meeting: str, payload: dict[str, Any]) -> Round:
        verdict = Vote.ENDORSE if payload["for"] > payload["against"] else Vote.OBJECT
        return replace(
            self,
            votes={**self.votes, meeting: verdict.value},
            meetings=(*self.meetings, meeting),
        )

    def co_signed_by(self, organisation: str) -> Round:
        return replace(self, co_signed=(*self.co_signed, organisation))

    @property
    def announces_closing_at(self) -> datetime | None:
        """When to say the round closes soon: `CLOSING_NOTICE` before it closes, if the
        round is longer than that and it was not said yet."""
        moment = self.closes_at - CLOSING_NOTICE
        if self.closing_announced or moment <= self.opened_at:
            return None
        return moment

    def closing_said(self) -> Round:
        return replace(self, closing_announced=True)

    def closed(self, status: RoundStatus, at: datetime) -> Round:
        return replace(self, status=status, closed_at=at)

    def reopened(
        self, number: int, revision: int, at: datetime, co_signers: tuple[str, ...]
    ) -> Round:
        """The next round on a revised plan: same threshold and electorate, same length."""
        length = max(self.closes_at - self.opened_at, timedelta(days=1))
        closes_on = (at + length).date()
        return Round(
            number=number,
            revision=revision,
            opened_at=at,
            closes_on=closes_on.isoformat(),
            closes_at=closing_moment(closes_on),
            threshold=self.threshold,
            electorate=self.electorate,
            co_signers=co_signers,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "revision": self.revision,
            "status": self.status.value,
            "opened_at": self.opened_at.isoformat(),
            "closes_on": self.closes_on,
            "closes_at": self.closes_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "threshold": dict(self.threshold),
            "electorate": self.electorate,
            "needed": self.needed,
            "endorsements": self.endorsements,
            "objections": self.objections,
            "meetings": list(self.meetings),
            "co_signers": list(self.co_signers),
            "co_signed": list(self.co_signed),
            "votes": dict(self.votes),
            "closing_announced": self.closing_announced,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Round:
        closed = data.get("closed_at")
        return cls(
            number=data["number"],
            revision=data["revision"],
            opened_at=datetime.fromisoformat(data["opened_at"]),
            closes_on=data["closes_on"],
            closes_at=datetime.fromisoformat(data["closes_at"]),
            threshold=dict(data["threshold"]),
            electorate=data.get("electorate", 0),
            co_signers=tuple(data.get("co_signers", ())),
            votes=dict(data.get("votes", {})),
            meetings=tuple(data.get("meetings", ())),
            co_signed=tuple(data.get("co_signed", ())),
            status=RoundStatus(data.get("status", RoundStatus.OPEN.value)),
            closed_at=datetime.fromisoformat(closed) if closed else None,
            closing_announced=data.get("closing_announced", False),
        )


def opened(
    number: int, revision: int, payload: dict[str, Any], at: datetime, co_signers: tuple[str, ...]
) -> Round:
    return Round(
        number=number,
        revision=revision,
        opened_at=at,
        closes_on=payload["closes_on"],
        closes_at=datetime.fromisoformat(payload["closes_at"]),
        threshold=dict(payload["threshold"]),
        electorate=payload.get("electorate", 0),
        co_signers=co_signers,
    )
