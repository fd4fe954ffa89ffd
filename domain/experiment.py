"""The `Experiment` aggregate: one stream of decision events per experiment.

Commands check the rules and compute ids; events only assign, by folding the stored decision
into the state with `domain.state.evolve`, because their bodies run again on every replay.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from domain import rules
from domain.decisions import Decision, DecisionType
from domain.state import ExperimentState, begin, evolve_by

# Experiment ids derived from a start key (an Idempotency-Key) live in this namespace, so the
# same key in the same municipality always names the same experiment.
START_KEY_NAMESPACE = uuid.UUID("6f1c8e52-4a8e-4b8e-9a53-2f5d0c9e7a10")


def experiment_id_for(municipality: str, start_key: str | None) -> uuid.UUID:
    if start_key is None:
        return uuid.uuid4()
    return uuid.uuid5(START_KEY_NAMESPACE, f"{municipality}\x1f{start_key}")


@dataclass(frozen=True)
class DecisionRecord:
    """The fields every decision event carries, beside id, version and timestamp."""

    decision_id: str
    actor: dict[str, Any]
    rationale: str
    source: str
    payload: dict[str, Any]
    # Cycle and stage in which the decision was taken.
    cycle: int
    stage: str
    # Where the decision was traced (a W3C `traceparent`), so the projector and the outbox
    # continue its trace; None when nothing traced it, and absent from older events.
    trace: dict[str, str] | None = None

    decision_type: ClassVar[DecisionType]

    def decision(self) -> Decision:
        return Decision.from_dict(
            {
                "decision_id": self.decision_id,
                "type": self.decision_type,
                "actor": self.actor,
                "rationale": self.rationale,
                "source": self.source,
                "payload": self.payload,
            }
        )


class Experiment(Aggregate):
    class Decided(DecisionRecord, Aggregate.Event):
        def apply(self, aggregate: Experiment) -> None:
            aggregate.state = evolve_by(
                aggregate.state, self.decision_type, self.payload, at=self.timestamp
            )
            aggregate.decision_versions[self.decision_id] = self.originator_version

    class Started(DecisionRecord, Aggregate.Created):
        decision_type = DecisionType.START

        def apply(self, aggregate: Experiment) -> None:
            aggregate.state = begin(str(self.originator_id), self.decision(), at=self.timestamp)
            aggregate.decision_versions = {self.decision_id: self.originator_version}

    class PlanRevised(Decided):
        decision_type = DecisionType.REVISE_PLAN

    class PlanEndorsed(Decided):
        decision_type = DecisionType.ENDORSE_PLAN

    class Advanced(Decided):
        decision_type = DecisionType.ADVANCE

    class FindingRecorded(Decided):
        decision_type = DecisionType.RECORD_FINDING

    class LessonRecorded(Decided):
        decision_type = DecisionType.RECORD_LESSON

    class Closed(Decided):
        decision_type = DecisionType.CLOSE

    class StageDue(Decided):
        decision_type = DecisionType.STAGE_DUE

    class StageOverdue(Decided):
        decision_type = DecisionType.STAGE_OVERDUE

    class EndorsementOpened(Decided):
        decision_type = DecisionType.OPEN_ENDORSEMENT

    class Endorsed(Decided):
        decision_type = DecisionType.ENDORSE

    class Objected(Decided):
        decision_type = DecisionType.OBJECT

    class MeetingVoteRecorded(Decided):
        decision_type = DecisionType.RECORD_MEETING_VOTE

    class CoSigned(Decided):
        decision_type = DecisionType.CO_SIGN

    class EndorsementReached(Decided):
        decision_type = DecisionType.ENDORSEMENT_REACHED

    class EndorsementFailed(Decided):
        decision_type = DecisionType.ENDORSEMENT_FAILED

    class EndorsementClosing(Decided):
        decision_type = DecisionType.ENDORSEMENT_CLOSING

    class OwnerAssigned(Decided):
        decision_type = DecisionType.ASSIGN_OWNER

    class LessonPublished(Decided):
        decision_type = DecisionType.PUBLISH_LESSON

    def __init__(self) -> None:
        # Both are filled in by `Started.apply`, which runs right after this.
        self.state: ExperimentState
        # Decision id -> the version it was recorded at: which ids were already used.
        self.decision_versions: dict[str, int] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> Experiment:
        """The copy the event store's cache hands to each command, so that a command that
        fails leaves the cached experiment as it was.

        The state is an immutable value (a decision makes a new one), so the copy shares it;
        only what a decision changes in place is the copy's own: the ids of the decisions
        taken and the events not yet saved. `copy.deepcopy` walked every decision id each
        time, a cost that grew with the experiment's history.
        """
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        copied.decision_versions = dict(self.decision_versions)
        copied._pending_events = list(self._pending_events)
        return copied

    def recent_decision_ids(self, limit: int) -> list[str]:
        """The ids of the last `limit` decisions, oldest first: what a workflow restarted
        from the record is given to tell repeats by itself."""
        ids = sorted(self.decision_versions, key=self.decision_versions.__getitem__)
        return ids[-limit:]

    @classmethod
    def start(
        cls,
        decision: Decision,
        *,
        experiment_id: uuid.UUID,
        at: datetime | None = None,
        trace: dict[str, str] | None = None,
    ) -> Experiment:
        rules.check(None, decision)
        return cls._create(
            cls.Started,
            id=experiment_id,
            timestamp=at,
            decision_id=decision.decision_id,
            actor=decision.actor.to_dict(),
            rationale=decision.rationale,
            source=decision.source,
            payload=decision.payload,
            cycle=1,
            stage="plan",
            trace=trace,
        )

    def decide(
        self,
        decision: Decision,
        *,
        at: datetime | None = None,
        trace: dict[str, str] | None = None,
    ) -> None:
        """Record `decision` if the rules allow it now; raise `RuleViolation` otherwise."""
        rules.check(self.state, decision, at)
        self.trigger_event(
            EVENT_CLASSES[decision.type],
            timestamp=at,
            decision_id=decision.decision_id,
            actor=decision.actor.to_dict(),
            rationale=decision.rationale,
            source=decision.source,
            payload=decision.payload,
            cycle=self.state.cycle,
            stage=self.state.stage.value,
            trace=trace,
        )


EVENT_CLASSES: dict[DecisionType, type[Experiment.Decided]] = {
    cls.decision_type: cls
    for cls in (
        Experiment.PlanRevised,
        Experiment.PlanEndorsed,
        Experiment.Advanced,
        Experiment.FindingRecorded,
        Experiment.LessonRecorded,
        Experiment.Closed,
        Experiment.StageDue,
        Experiment.StageOverdue,
        Experiment.EndorsementOpened,
        Experiment.Endorsed,
        Experiment.Objected,
        Experiment.MeetingVoteRecorded,
        Experiment.CoSigned,
        Experiment.EndorsementReached,
        Experiment.EndorsementFailed,
        Experiment.EndorsementClosing,
        Experiment.OwnerAssigned,
        Experiment.LessonPublished,
    )
}
