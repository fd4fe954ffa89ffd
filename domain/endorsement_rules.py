"""The rules of endorsement rounds, and of who may speak for residents: when a round may be
opened, voted in, co-signed and closed, and when a finding "from residents" may be recorded
by someone else. Part of `domain.rules`, which calls them for its preconditions; apart
because they are a subject of their own (see `domain.endorsement` for the round itself).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.decisions import Decision, DecisionType
from domain.endorsement import MAX_ROUND_DAYS
from domain.refusals import Refusal
from domain.state import ExperimentState
from domain.values import FindingSource, Role

PM = Role.PROGRAMME_MANAGER
RESIDENT = Role.RESIDENT

# The decisions of an endorsement round, all taken while the plan is being made.
ROUND_DECISIONS = frozenset(
    {
        DecisionType.OPEN_ENDORSEMENT,
        DecisionType.ENDORSE,
        DecisionType.OBJECT,
        DecisionType.RECORD_MEETING_VOTE,
        DecisionType.CO_SIGN,
        DecisionType.ENDORSEMENT_REACHED,
        DecisionType.ENDORSEMENT_FAILED,
        DecisionType.ENDORSEMENT_CLOSING,
    }
)


def round_refusal(
    state: ExperimentState, decision: Decision, now: datetime | None
) -> Refusal | None:
    """An endorsement round's rules (see `domain.endorsement`); `now` is the decider's clock,
    where it has one, for deadlines and dates."""
    kind, p = decision.type, decision.payload
    round_ = state.open_round
    if kind is DecisionType.OPEN_ENDORSEMENT:
        if state.plan.revision == 0:
            return Refusal("no_plan", "write a plan before residents are asked to endorse it")
        if round_ is not None:
            return Refusal(
                "round_already_open",
                f"endorsement round {round_.number} is still open until {round_.closes_on}",
            )
        if state.plan.endorsed:
            return Refusal(
                "plan_already_endorsed",
                f"residents already endorsed plan revision {state.plan.revision}",
            )
        if "share" in p.get("threshold", {}) and not p.get("electorate"):
            return Refusal(
                "no_residents_invited",
                "a threshold by share counts the residents invited to the experiment; "
                "invite them first, or set a threshold by count",
            )
        closes_at = p.get("closes_at")
        if (
            now is not None
            and closes_at is not None
            and datetime.fromisoformat(closes_at) > now + timedelta(days=MAX_ROUND_DAYS)
        ):
            return Refusal(
                "closes_on_too_far",
                f"a round runs at most {MAX_ROUND_DAYS} days; choose an earlier last day",
            )
        if now is not None and closes_at is not None and datetime.fromisoformat(closes_at) <= now:
            return Refusal(
                "closes_on_in_past", f"the round cannot close on {p['closes_on']}: that day is over"
            )
        return None
    if round_ is None:
        return Refusal("no_open_round", "no endorsement round is open; the manager opens one")
    if kind in (DecisionType.ENDORSE, DecisionType.OBJECT):
        wanted = p.get("round")
        if wanted is not None and wanted != round_.number:
            return Refusal(
                "wrong_round",
                f"round {wanted} is not open; the open round is round {round_.number}",
            )
    if kind is DecisionType.RECORD_MEETING_VOTE:
        held_on = p.get("held_on")
        if now is not None and held_on is not None and date.fromisoformat(held_on) > now.date():
            return Refusal("held_on_in_future", "a meeting's vote is recorded after the meeting")
    if kind is DecisionType.CO_SIGN:
        organisation = p.get("organisation")
        if organisation is not None and organisation not in round_.co_signers:
            return Refusal(
                "not_a_co_signer",
                f"the plan does not name {organisation} as a co-signer",
            )
        if organisation in round_.co_signed:
            return Refusal("already_co_signed", f"{organisation} already co-signed this plan")
    if kind is DecisionType.ENDORSEMENT_REACHED and not round_.met:
        return Refusal(
            "threshold_not_met",
            f"{round_.endorsements} of {round_.needed} endorsements"
            + (
                f"; waiting for {', '.join(round_.missing_co_signers)}"
                if round_.missing_co_signers
                else ""
            ),
        )
    if kind is DecisionType.ENDORSEMENT_CLOSING and round_.closing_announced:
        return Refusal("already_recorded", "the round's closing was already announced")
    if kind is DecisionType.ENDORSEMENT_FAILED and now is not None and now < round_.closes_at:
        return Refusal("round_still_open", f"the round is open until {round_.closes_on}")
    return None


def speaking_refusal(decision: Decision) -> Refusal | None:
    """Who may speak for residents: a resident; a manager only on behalf of a meeting or a
    survey, with the evidence of it; an integration (a survey tool) naming its survey."""
    p, role = decision.payload, decision.actor.role
    if p.get("source") != FindingSource.RESIDENTS or role is RESIDENT:
        return None
    if not p.get("on_behalf_of"):
        return Refusal(
            "on_behalf_of_required",
            "a finding from residents recorded by someone else says on whose behalf: "
            "on_behalf_of (a meeting, a survey)",
        )
    if role is PM and not p.get("evidence"):
        return Refusal(
            "evidence_required",
            "a finding recorded on behalf of residents rests on evidence (minutes, a survey)",
        )
    return None
