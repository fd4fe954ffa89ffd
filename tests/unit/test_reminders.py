"""Who a reminder concerns, when the digest goes, and the unsubscribe link: the pure parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.decisions import DecisionType
from domain.reminders import (
    Follower,
    ReminderKind,
    concerned,
    follower_of,
    is_news,
    kind_of,
    next_digest,
    settles,
)
from domain.values import Role
from services.app.letters import letter
from services.app.reminding import InvalidUnsubscribeLink, UnsubscribeLinks

PM = "prs_" + "a" * 32
PM2 = "prs_" + "b" * 32
RESIDENT = "prs_" + "c" * 32
PARTNER = "prs_" + "d" * 32


def test_only_people_in_following_roles_follow() -> None:
    assert follower_of({"id": PM, "role": "programme_manager"}) == Follower(
        PM, Role.PROGRAMME_MANAGER
    )
    assert follower_of({"id": RESIDENT, "role": "resident"}) == Follower(RESIDENT, Role.RESIDENT)
    assert follower_of({"id": "timer", "role": "system"}) is None
    assert follower_of({"id": "0b8f1c0e-key", "role": "programme_manager"}) is None, "a key"
    assert follower_of({"id": PM, "role": "evaluator"}) is None, "evaluators read, not follow"
    assert follower_of({"id": PM, "role": "no such role"}) is None
    assert follower_of({}) is None


def test_each_reminder_goes_to_the_roles_it_concerns_once_and_not_to_its_author() -> None:
    followers = [
        Follower(PM, Role.PROGRAMME_MANAGER),
        Follower(PM2, Role.PROGRAMME_MANAGER),
        Follower(RESIDENT, Role.RESIDENT),
        Follower(RESIDENT, Role.RESIDENT),
        Follower(PARTNER, Role.PARTNER),
    ]
    plan = kind_of(DecisionType.REVISE_PLAN)
    assert plan is ReminderKind.PLAN_AWAITS_ENDORSEMENT
    assert concerned(plan, followers, actor_id=PM) == [RESIDENT]
    due = kind_of(DecisionType.STAGE_DUE)
    assert due is ReminderKind.ACT_PERIOD_OVER
    assert concerned(due, followers, actor_id="timer") == [PM, PM2]
    overdue = kind_of(DecisionType.STAGE_OVERDUE)
    assert overdue is ReminderKind.STAGE_OVERDUE
    assert concerned(overdue, followers, actor_id=PM2) == [PM]
    for quiet in (DecisionType.START, DecisionType.ADVANCE, DecisionType.RECORD_FINDING):
        assert kind_of(quiet) is None
    assert kind_of(DecisionType.OPEN_ENDORSEMENT) is ReminderKind.PLAN_AWAITS_ENDORSEMENT
    closing = kind_of(DecisionType.ENDORSEMENT_CLOSING)
    assert closing is ReminderKind.ROUND_CLOSING
    assert concerned(closing, followers, actor_id="timer") == [RESIDENT]
    assert concerned(closing, followers, actor_id="timer", done=[RESIDENT]) == [], "voted"
    assert settles(DecisionType.ENDORSE_PLAN) == (ReminderKind.PLAN_AWAITS_ENDORSEMENT,)
    for closed in (DecisionType.ENDORSEMENT_REACHED, DecisionType.ENDORSEMENT_FAILED):
        assert set(settles(closed)) == {
            ReminderKind.PLAN_AWAITS_ENDORSEMENT,
            ReminderKind.ROUND_CLOSING,
        }
    assert settles(DecisionType.ADVANCE) == ()


def test_old_news_is_not_mailed() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    assert is_news(now - timedelta(hours=23), now)
    assert not is_news(now - timedelta(hours=25), now)


@pytest.mark.parametrize(
    ("now", "digest"),
    [
        # Winter (UTC+1): before seven Dutch time the same morning, after it the next.
        ("2026-12-04T05:59:00+00:00", "2026-12-04T06:00:00+00:00"),
        ("2026-12-04T06:00:00+00:00", "2026-12-05T06:00:00+00:00"),
        ("2026-12-04T22:30:00+00:00", "2026-12-05T06:00:00+00:00"),
        # Summer (UTC+2), and the night the clocks go back.
        ("2026-07-01T12:00:00+00:00", "2026-07-02T05:00:00+00:00"),
        ("2026-10-24T12:00:00+00:00", "2026-10-25T06:00:00+00:00"),
    ],
)
def test_the_digest_goes_at_seven_dutch_time(now: str, digest: str) -> None:
    assert next_digest(datetime.fromisoformat(now)) == datetime.fromisoformat(digest)


def test_an_unsubscribe_link_is_made_here_and_names_its_person_only() -> None:
    links = UnsubscribeLinks(b"k" * 32)
    token = links.token(RESIDENT)
    assert links.person_of(token) == RESIDENT
    others = UnsubscribeLinks(b"x" * 32)
    forged = [
        others.token(RESIDENT),  # another installation's key
        token.replace(RESIDENT, PM),  # someone else's id with this mac
        token[:-2],
        RESIDENT,
        "",
        "prs_nope." + token.partition(".")[2],
    ]
    for bad in forged:
        with pytest.raises(InvalidUnsubscribeLink):
            links.person_of(bad)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_reminder_and_digest_mails_read_in_both_languages(language: str) -> None:
    items = [
        {
            "kind": kind.value,
            "title": "Samen warm de winter door",
            "stage": "act",
            "date": "4 december 2026",
            "closes_on": "6 december 2026",
            "url": "https://wijklab.test/experiments/1",
        }
        for kind in ReminderKind
    ]
    for template in ("reminder", "digest"):
        mail = letter(
            template,
            language,
            "ans@example.nl",
            items=items,
            unsubscribe_url="https://wijklab.test/unsubscribe/t",
            settings_url="https://wijklab.test/settings/mail",
        )
        assert mail.subject
        assert "Samen warm" in mail.text
        assert mail.text.count("https://wijklab.test/experiments/1") == len(ReminderKind)
        assert "6 december 2026" in mail.text, "the day a round closes"
        assert "https://wijklab.test/unsubscribe/t" in mail.text
    single = letter(
        "reminder",
        language,
        "ans@example.nl",
        items=items[:1],
        unsubscribe_url="u",
        settings_url="s",
    )
    assert "Samen warm de winter door" in single.subject
