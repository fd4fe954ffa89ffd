"""Every endorsement round of an experiment, folded from its decision history: what an
evaluator reads to tell a real endorsement from a formality (each round's count, every
ballot and who cast it, the meetings and their minutes, who co-signed).

The experiment's state holds only its current round; this keeps them all. Pure: the history
comes in as the HTTP contract's entries, with names as the reader may see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.endorsement import Round, RoundStatus, Vote, opened


@dataclass
class RoundRecord:
    """One round as its history tells it: the round, the cycle it was in, and each vote cast
    in it (a later vote of the same person is listed too, and marked as replacing)."""

    round: Round
    cycle: int
    ballots: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        standing = {b["voter"]: b["decision_id"] for b in self.ballots}
        return {
            **self.round.to_dict(),
            "cycle": self.cycle,
            "ballots": [
                {**b, "standing": standing[b["voter"]] == b["decision_id"]} for b in self.ballots
            ],
        }


def rounds_in(history: list[dict[str, Any]]) -> list[RoundRecord]:
    """Every endorsement round of an experiment, oldest first, folded from its decision
    history (entries shaped as the HTTP contract's history: type, payload, cycle, at, actor,
    decision_id), with each ballot: who (as the history shows them), what, when, why."""
    found: list[RoundRecord] = []
    current: RoundRecord | None = None
    revision = 0
    co_signers: tuple[str, ...] = ()
    for entry in history:
        kind, p = entry["type"], entry.get("payload") or {}
        at = datetime.fromisoformat(entry["at"])
        if kind == "revise_plan":
            revision += 1
            co_signers = tuple(p.get("co_signers", co_signers))
            if current is not None:
                if current.round.is_open:
                    current.round = current.round.closed(RoundStatus.SUPERSEDED, at)
                current = RoundRecord(
                    current.round.reopened(len(found) + 1, revision, at, co_signers),
                    entry["cycle"],
                )
                found.append(current)
        elif kind == "open_endorsement":
            current = RoundRecord(
                opened(len(found) + 1, revision, p, at, co_signers), entry["cycle"]
            )
            found.append(current)
        elif kind == "advance" and p.get("to") == "plan":
            current = None
        elif current is not None and kind in ("endorse", "object", "record_meeting_vote"):
            meeting = kind == "record_meeting_vote"
            voter = f"meeting-{len(current.round.meetings) + 1}" if meeting else p.get("voter", "")
            current.round = (
                current.round.meeting_voted(voter, p)
                if meeting
                else current.round.voted(voter, Vote(kind))
            )
            ballot: dict[str, Any] = {
                "voter": voter,
                "vote": current.round.votes[voter],
                "actor": entry.get("actor"),
                "at": entry["at"],
                "decision_id": entry["decision_id"],
                "comment": p.get("text"),
            }
            if meeting:
                ballot["meeting"] = {
                    k: p.get(k) for k in ("held_on", "for", "against", "abstain", "attendees")
                }
                ballot["evidence"] = p.get("evidence", [])
            current.ballots.append(ballot)
        elif current is not None and kind == "co_sign":
            current.round = current.round.co_signed_by(p["organisation"])
        elif current is not None and kind == "endorsement_closing":
            current.round = current.round.closing_said()
        elif current is not None and kind in ("endorsement_reached", "endorsement_failed"):
            status = RoundStatus.REACHED if kind == "endorsement_reached" else RoundStatus.FAILED
            current.round = current.round.closed(status, at)
    return found
