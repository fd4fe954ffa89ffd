"""Reminders by e-mail: which recorded decision concerns whom, and when a daily digest goes.

A reminder is news about an experiment a person follows: a plan that waits for the
residents' endorsement (revised, before rounds; put to them in a round, or revised while its
round was open, under rounds), a round that closes in two days,
an act period that is over, a stage that is overdue. Who follows an
experiment is read off the record itself (the people who took its decisions) and off the
invitations for it; a reminder names the person only by their pseudonymous id, so nothing
personal is stored with it. The address is looked up when the mail goes, so an erased person
gets nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.decisions import DecisionType
from domain.people import is_person_id
from domain.values import Role

# A reminder about something that happened longer ago than this is no news any more: after a
# long outage, or the first time the outbox reads an old record, nothing stale is mailed.
NEWS_WINDOW = timedelta(hours=24)
# The daily digest goes at this hour, Dutch time.
DIGEST_HOUR = time(7, 0)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class ReminderKind(StrEnum):
    PLAN_AWAITS_ENDORSEMENT = "plan_awaits_endorsement"
    ROUND_CLOSING = "round_closing"
    ACT_PERIOD_OVER = "act_period_over"
    STAGE_OVERDUE = "stage_overdue"


class Frequency(StrEnum):
    """How a person wants their reminders: each as it comes, once a day, or not at all."""

    EACH = "each"
    DAILY = "daily"
    NONE = "none"


# Roles that follow an experiment, and so may be reminded about it.
FOLLOWING_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.PARTNER})
# Who hears of what.
CONCERNS: dict[ReminderKind, frozenset[Role]] = {
    ReminderKind.PLAN_AWAITS_ENDORSEMENT: frozenset({Role.RESIDENT}),
    ReminderKind.ROUND_CLOSING: frozenset({Role.RESIDENT}),
    ReminderKind.ACT_PERIOD_OVER: frozenset({Role.PROGRAMME_MANAGER}),
    ReminderKind.STAGE_OVERDUE: frozenset({Role.PROGRAMME_MANAGER}),
}


@dataclass(frozen=True)
class Follower:
    person_id: str
    role: Role


def follower_of(actor: dict[str, Any]) -> Follower | None:
    """The person who took a decision, if a person (not a key, an integration or the timer)
    in a role that follows experiments."""
    person_id = actor.get("id")
    try:
        role = Role(str(actor.get("role")))
    except ValueError:
        return None
    if not is_person_id(person_id) or role not in FOLLOWING_ROLES:
        return None
    return Follower(str(person_id), role)


def kind_of(decision_type: DecisionType) -> ReminderKind | None:
    """The reminder a decision gives rise to, if any."""
    if decision_type in (DecisionType.REVISE_PLAN, DecisionType.OPEN_ENDORSEMENT):
        return ReminderKind.PLAN_AWAITS_ENDORSEMENT
    if decision_type is DecisionType.ENDORSEMENT_CLOSING:
        return ReminderKind.ROUND_CLOSING
    if decision_type is DecisionType.STAGE_DUE:
        return ReminderKind.ACT_PERIOD_OVER
    if decision_type is DecisionType.STAGE_OVERDUE:
        return ReminderKind.STAGE_OVERDUE
    return None


def concerned(
    kind: ReminderKind,
    followers: Iterable[Follower],
    *,
    actor_id: str | None,
    done: Iterable[str] = (),
) -> list[str]:
    """The people a reminder of `kind` goes to, each once, never the one who took the
    decision (they know), nor those who did already what it asks (`done`: a round's
    voters are not reminded to vote)."""
    wanted = CONCERNS[kind]
    skip = set(done)
    found: list[str] = []
    for follower in followers:
        if (
            follower.role in wanted
            and follower.person_id != actor_id
            and follower.person_id not in skip
            and follower.person_id not in found
        ):
            found.append(follower.person_id)
    return found


# What a decision makes moot before it is sent: an endorsed plan, or a closed round, no
# longer waits for anyone.
_SETTLES: dict[DecisionType, tuple[ReminderKind, ...]] = {
    DecisionType.ENDORSE_PLAN: (ReminderKind.PLAN_AWAITS_ENDORSEMENT,),
    DecisionType.ENDORSEMENT_REACHED: (
        ReminderKind.PLAN_AWAITS_ENDORSEMENT,
        ReminderKind.ROUND_CLOSING,
    ),
    DecisionType.ENDORSEMENT_FAILED: (
        ReminderKind.PLAN_AWAITS_ENDORSEMENT,
        ReminderKind.ROUND_CLOSING,
    ),
}


def settles(decision_type: DecisionType) -> tuple[ReminderKind, ...]:
    """The reminders a decision makes moot before they are sent."""
    return _SETTLES.get(decision_type, ())


def is_news(happened: datetime, now: datetime) -> bool:
    return now - happened <= NEWS_WINDOW


def next_digest(now: datetime) -> datetime:
    """The next digest moment after `now`: 07:00 Dutch time, today or tomorrow."""
    local = now.astimezone(AMSTERDAM)
    today = datetime.combine(local.date(), DIGEST_HOUR, tzinfo=AMSTERDAM)
    if local < today:
        return today
    return datetime.combine(local.date() + timedelta(days=1), DIGEST_HOUR, tzinfo=AMSTERDAM)
