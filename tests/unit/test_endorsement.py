"""Endorsement rounds: their payloads, their rules and their tally, table by table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import rules
from domain.decisions import RULES_ROUNDS, Decision
from domain.endorsement import RoundStatus, closing_moment
from domain.errors import InvalidInput, RuleViolation
from domain.experiment import Experiment, experiment_id_for
from domain.state import ExperimentState
from domain.values import Actor, Role
from tests.builders import INTEGRATION, PARTNER, PLAN, PM, RESIDENT, SYSTEM, decision, start

EVIDENCE = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ROUND = {"closes_on": "2026-12-20", "threshold": {"count": 2}}
MEETING = {
    "held_on": "2026-11-30",
    "attendees": 40,
    "abstain": 1,
    "against": 4,
    "evidence": [EVIDENCE],
    "for": 30,
}


def resident(n: int) -> Actor:
    return Actor(f"prs_{n:032x}", Role.RESIDENT, f"bewoner {n}")


def run(*decisions: Decision) -> Experiment:
    """An experiment under the rules of endorsement rounds, after `decisions`."""
    begun = start()
    begun = replace(begun, payload={**begun.payload, "rules": RULES_ROUNDS})
    experiment = Experiment.start(begun, experiment_id=experiment_id_for("utrecht", None), at=NOW)
    for d in decisions:
        experiment.decide(d, at=NOW)
    return experiment


def state_after(*decisions: Decision) -> ExperimentState:
    return run(*decisions).state


def in_round(*then: Decision, **round_fields: Any) -> ExperimentState:
    return state_after(
        decision("revise_plan", **PLAN),
        decision("open_endorsement", **(ROUND | round_fields)),
        *then,
    )


# --- payloads ---------------------------------------------------------------------------

BAD_PAYLOADS = [
    ("open_endorsement", {"closes_on": "2026-12-20", "threshold": {"count": 0}}, "threshold.count"),
    (
        "open_endorsement",
        {"closes_on": "2026-12-20", "threshold": {"share": 1.5}},
        "threshold.share",
    ),
    ("open_endorsement", {"closes_on": "2026-12-20", "threshold": {"share": 0}}, "threshold.share"),
    (
        "open_endorsement",
        {"closes_on": "2026-12-20", "threshold": {"count": True}},
        "threshold.count",
    ),
    (
        "open_endorsement",
        {"closes_on": "2026-12-20", "threshold": {"count": 2, "share": 0.5}},
        "threshold",
    ),
    ("open_endorsement", {"closes_on": "2026-12-20"}, "threshold"),
    ("open_endorsement", {"closes_on": "20 december", "threshold": {"count": 2}}, "closes_on"),
    ("open_endorsement", {"closes_on": "9999-12-31", "threshold": {"count": 2}}, "closes_on"),
    ("record_meeting_vote", MEETING | {"for": -1}, "for"),
    ("record_meeting_vote", MEETING | {"for": 40}, "attendees"),
    ("record_meeting_vote", {k: v for k, v in MEETING.items() if k != "evidence"}, "evidence"),
    ("record_meeting_vote", MEETING | {"held_on": "gisteren"}, "held_on"),
    ("endorse", {"round": 0}, "round"),
    ("revise_plan", PLAN | {"co_signers": ["Woonstad", "woonstad"]}, "co_signers"),
]


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [pytest.param(k, p, f, id=f"{k}-{f}-{i}") for i, (k, p, f) in enumerate(BAD_PAYLOADS)],
)
def test_malformed_round_decisions_are_refused_with_the_field(
    kind: str, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        decision(kind, RESIDENT if kind == "endorse" else PM, **payload)
    assert refused.value.field == field


def test_a_round_closes_once_its_last_day_is_over_everywhere_in_the_netherlands() -> None:
    assert closing_moment(datetime(2026, 12, 20).date()) == datetime(2026, 12, 21, tzinfo=UTC)


def test_the_voter_is_who_votes_whatever_the_body_says() -> None:
    vote = decision("endorse", resident(1), voter="prs_" + "0" * 32)
    assert vote.payload["voter"] == resident(1).id


# --- rules ------------------------------------------------------------------------------

REFUSALS = [
    (
        "a vote outside an open round",
        lambda: state_after(decision("revise_plan", **PLAN)),
        decision("endorse", RESIDENT),
        "no_open_round",
    ),
    (
        "a second round while one is open",
        lambda: in_round(),
        decision("open_endorsement", **ROUND),
        "round_already_open",
    ),
    (
        "a round before there is a plan",
        lambda: state_after(),
        decision("open_endorsement", **ROUND),
        "no_plan",
    ),
    (
        "a closes_on in the past",
        lambda: state_after(decision("revise_plan", **PLAN)),
        decision("open_endorsement", closes_on="2026-11-30", threshold={"count": 1}),
        "closes_on_in_past",
    ),
    (
        "a closes_on more than a year away",
        lambda: state_after(decision("revise_plan", **PLAN)),
        decision("open_endorsement", closes_on="2028-01-01", threshold={"count": 1}),
        "closes_on_too_far",
    ),
    (
        "a share of no one invited",
        lambda: state_after(decision("revise_plan", **PLAN)),
        decision("open_endorsement", closes_on="2026-12-20", threshold={"share": 0.5}),
        "no_residents_invited",
    ),
    (
        "a vote by a programme manager",
        lambda: in_round(),
        decision("endorse", PM),
        "role_not_allowed",
    ),
    ("a vote by a partner", lambda: in_round(), decision("object", PARTNER), "role_not_allowed"),
    (
        "a vote for another round",
        lambda: in_round(),
        decision("endorse", RESIDENT, round=2),
        "wrong_round",
    ),
    (
        "an advance without endorsement_reached",
        lambda: in_round(decision("endorse", resident(1))),
        decision("advance", to="act"),
        "endorsement_not_reached",
    ),
    (
        "one person's click",
        lambda: state_after(decision("revise_plan", **PLAN)),
        decision("endorse_plan", RESIDENT),
        "endorsement_by_round",
    ),
    (
        "a meeting held tomorrow",
        lambda: in_round(),
        decision("record_meeting_vote", **MEETING | {"held_on": "2026-12-02"}),
        "held_on_in_future",
    ),
    (
        "a co-signer the plan does not name",
        lambda: in_round(),
        decision("co_sign", PARTNER, organisation="Politie"),
        "not_a_co_signer",
    ),
    (
        "the threshold declared reached too early",
        lambda: in_round(decision("endorse", resident(1))),
        decision("endorsement_reached", SYSTEM, round=1),
        "threshold_not_met",
    ),
    (
        "the round declared failed before its deadline",
        lambda: in_round(),
        decision("endorsement_failed", SYSTEM, round=1),
        "round_still_open",
    ),
]


@pytest.mark.parametrize(
    ("build", "attempt", "code"), [pytest.param(b, a, c, id=n) for n, b, a, c in REFUSALS]
)
def test_round_refusals(build: Any, attempt: Decision, code: str) -> None:
    state = build()
    with pytest.raises(RuleViolation) as refused:
        rules.check(state, attempt, NOW)
    assert refused.value.code == code


def _evaluating() -> ExperimentState:
    return state_after(
        decision("revise_plan", **PLAN),
        decision("open_endorsement", closes_on="2026-12-20", threshold={"count": 1}),
        decision("endorse", resident(1)),
        decision("endorsement_reached", SYSTEM, round=1),
        decision("advance", to="act"),
    )


SPEAKING = [
    ("a resident", RESIDENT, {}, None),
    ("a manager without on_behalf_of", PM, {"evidence": [EVIDENCE]}, "on_behalf_of_required"),
    ("a manager without evidence", PM, {"on_behalf_of": "bewonersavond"}, "evidence_required"),
    (
        "a manager for a meeting, on its minutes",
        PM,
        {"on_behalf_of": "bewonersavond", "evidence": [EVIDENCE]},
        None,
    ),
    ("a survey tool without its survey", INTEGRATION, {}, "on_behalf_of_required"),
    ("a survey tool naming its survey", INTEGRATION, {"on_behalf_of": "enquête 2026"}, None),
]


@pytest.mark.parametrize(
    ("actor", "fields", "code"), [pytest.param(a, f, c, id=n) for n, a, f, c in SPEAKING]
)
def test_who_may_speak_for_residents(
    actor: Actor, fields: dict[str, Any], code: str | None
) -> None:
    finding = decision("record_finding", actor, text="het werkt", source="residents", **fields)
    found = rules.refusal(_evaluating(), finding, NOW)
    assert (found.code if found else None) == code


def test_a_manager_still_records_findings_from_data_without_evidence() -> None:
    finding = decision("record_finding", PM, text="200 bezocht", source="data")
    assert rules.refusal(_evaluating(), finding, NOW) is None


# --- the round's tally ------------------------------------------------------------------


def test_a_later_vote_replaces_the_earlier_and_a_meeting_counts_as_one() -> None:
    state = in_round(
        decision("endorse", resident(1)),
        decision("object", resident(2)),
        decision("object", resident(1), comment="toch niet"),
        decision("record_meeting_vote", **MEETING),
    )
    round_ = state.endorsement
    assert round_ is not None
    assert (round_.endorsements, round_.objections) == (1, 2)
    assert round_.meetings == ("meeting-1",)
    assert not round_.met


def test_a_share_is_of_the_residents_invited_when_the_round_opened() -> None:
    state = in_round(threshold={"share": 0.6}, electorate=10)
    assert state.endorsement is not None
    assert state.endorsement.needed == 6


def test_the_round_is_met_only_when_every_named_co_signer_signed() -> None:
    state = state_after(
        decision("revise_plan", **PLAN, co_signers=["Woonstad", "Politie"]),
        decision("open_endorsement", closes_on="2026-12-20", threshold={"count": 1}),
        decision("endorse", resident(1)),
        decision("co_sign", PARTNER, organisation="Woonstad"),
    )
    round_ = state.endorsement
    assert round_ is not None
    assert not round_.met
    assert round_.missing_co_signers == ("Politie",)
    refused = rules.refusal(state, decision("co_sign", PARTNER, organisation="Woonstad"), NOW)
    assert refused is not None
    assert refused.code == "already_co_signed"


def test_reached_endorses_the_plan_and_opens_the_way_to_act() -> None:
    state = in_round(decision("endorse", resident(1)), decision("endorse", resident(2)))
    assert state.endorsement is not None
    assert state.endorsement.met
    state = state_after(
        decision("revise_plan", **PLAN),
        decision("open_endorsement", **ROUND),
        decision("endorse", resident(1)),
        decision("endorse", resident(2)),
        decision("endorsement_reached", SYSTEM, round=1),
    )
    assert state.plan.endorsed
    assert state.endorsement is not None
    assert state.endorsement.status is RoundStatus.REACHED
    assert rules.refusal(state, decision("advance", to="act"), NOW) is None


def test_a_revised_plan_is_put_to_residents_again_with_the_same_threshold_and_length() -> None:
    experiment = run(
        decision("revise_plan", **PLAN),
        decision("open_endorsement", **ROUND),
        decision("endorse", resident(1)),
    )
    later = datetime(2026, 12, 5, 9, tzinfo=UTC)
    experiment.decide(decision("revise_plan", **PLAN), at=later)
    round_ = experiment.state.endorsement
    assert round_ is not None
    assert round_.is_open
    assert (round_.number, round_.revision) == (2, 2)
    assert round_.threshold == {"count": 2}
    assert round_.votes == {}, "votes were for the earlier revision"
    assert round_.closes_on == "2026-12-24", "opened four days later, closing four days later"
    assert experiment.state.rounds_opened == 2


def test_a_new_cycle_starts_without_a_round() -> None:
    experiment = run(
        decision("revise_plan", **PLAN),
        decision("open_endorsement", closes_on="2026-12-20", threshold={"count": 1}),
        decision("endorse", resident(1)),
        decision("endorsement_reached", SYSTEM, round=1),
        decision("advance", to="act"),
        decision("record_finding", RESIDENT, text="fijn", source="residents"),
        decision("advance", to="evaluate"),
        decision("advance", to="learn"),
        decision("record_lesson", RESIDENT, text="samen", themes=[]),
        decision("advance", to="plan"),
    )
    assert experiment.state.endorsement is None
    assert not experiment.state.plan.endorsed
    assert "open_endorsement" in rules.allowed(experiment.state, Role.PROGRAMME_MANAGER)


@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from(["endorse", "object"])), max_size=40))
def test_the_tally_is_each_persons_last_vote(votes: list[tuple[int, str]]) -> None:
    state = in_round(*(decision(kind, resident(who)) for who, kind in votes))
    last = dict(votes)
    round_ = state.endorsement
    assert round_ is not None
    assert round_.endorsements == sum(1 for v in last.values() if v == "endorse")
    assert round_.objections == sum(1 for v in last.values() if v == "object")
    assert ExperimentState.from_dict(state.to_dict()) == state


@pytest.mark.parametrize(
    ("kind", "actor", "fields"),
    [
        ("endorse", RESIDENT, {"comment": "goed plan", "personal": True}),
        ("object", RESIDENT, {"comment": "te duur", "personal": False, "round": 1}),
        ("open_endorsement", PM, ROUND | {"electorate": 12}),
        ("record_meeting_vote", PM, MEETING),
        ("co_sign", PARTNER, {"organisation": "Woonstad"}),
        ("endorsement_failed", SYSTEM, {"round": 1, "endorsements": 1, "needed": 2}),
    ],
)
def test_a_round_decision_checked_again_is_the_same_decision(
    kind: str, actor: Actor, fields: dict[str, Any]
) -> None:
    """The workflow checks every decision it is handed again (it trusts no caller): what it
    makes of one must be what was sent, or a repeat would look like a different decision."""
    first = decision(kind, actor, **fields)
    sent = first.to_dict()
    again = Decision.parse(
        decision_id=sent["decision_id"],
        type=sent["type"],
        actor=Actor.parse(sent["actor"]),
        rationale=sent["rationale"],
        source=sent["source"],
        payload=sent["payload"],
    )
    assert again == first
    assert again.fingerprint() == first.fingerprint()
