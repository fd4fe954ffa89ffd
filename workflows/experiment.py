"""`ExperimentWorkflow`: one long-lived workflow per experiment, the single writer of it.

It validates every decision with the domain rules before anything is written (an update's
validator leaves no trace when it refuses), records accepted decisions through an activity,
keeps the act/evaluate timers, and continues as new at each new cycle so that a history that
runs for years stays small. Its state is a copy; the event store is the record.

Longer than 200 lines, and whole on purpose: a Temporal workflow is one class whose handlers
share its state and lock; split, its determinism would be harder to see.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import rules
    from domain.answers import DecisionAnswer
    from domain.decisions import RULES_ROUNDS, Decision, DecisionType
    from domain.endorsement import Round
    from domain.errors import DomainError, RuleViolation
    from domain.state import ExperimentState
    from domain.values import TIMER_ACTOR, Actor, Stage
    from workflows import search_attributes as sa
    from workflows.activities import ExperimentActivities
    from workflows.errors import NON_RETRYABLE_TYPES, from_failure, to_application_error
    from workflows.payloads import (
        RECENT_DECISION_IDS,
        DecisionInput,
        ExperimentInput,
        LoadInput,
        RecordInput,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# The append runs as a local activity: on the worker that holds the workflow, without a round
# trip through the server's task queues, which on one machine is the ceiling. Histories from
# before this change ran it as a regular activity and still replay that way.
LOCAL_APPEND = "append-as-local-activity"
# Experiments started since endorsement rounds run under their rules (`rules` in the start
# payload); those whose history began before keep one `endorse_plan`, and replay as they ran.
ENDORSEMENT_ROUNDS = "endorsement-rounds"
# The decisions that count towards a round's threshold.
ROUND_VOTES = frozenset(
    {
        DecisionType.ENDORSE,
        DecisionType.OBJECT,
        DecisionType.RECORD_MEETING_VOTE,
        DecisionType.CO_SIGN,
    }
)
# Retry transient failures (database restarting, worker dying) for as long as it takes;
# a refusal by the rules is final.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=NON_RETRYABLE_TYPES,
)


def _parse(request: DecisionInput) -> Decision:
    """Check the decision's fields again: the workflow trusts no caller."""
    raw = request.decision if isinstance(request.decision, dict) else {}
    try:
        return Decision.parse(
            decision_id=raw.get("decision_id"),
            type=raw.get("type"),
            actor=Actor.parse(raw.get("actor")),
            rationale=raw.get("rationale"),
            source=raw.get("source"),
            payload=raw.get("payload", {}),
        )
    except DomainError as error:
        raise to_application_error(error) from None


@workflow.defn
class ExperimentWorkflow:
    @workflow.init
    def __init__(self, start: ExperimentInput) -> None:
        self.experiment_id = start.experiment_id
        self.state = ExperimentState.from_dict(start.state) if start.state else None
        self.recent_ids = list(start.recent_decision_ids)[-RECENT_DECISION_IDS:]
        self.known_ids = set(self.recent_ids)
        self.grace = timedelta(days=start.overdue_grace_days)
        self.grace_days = start.overdue_grace_days
        self.run_started_in_cycle = self.state.cycle if self.state else 1
        self.lock = asyncio.Lock()
        self.published: tuple[Any, ...] | None = None

    @workflow.run
    async def run(self, start: ExperimentInput) -> dict[str, Any]:
        self._publish_search_attributes()
        while True:
            await workflow.wait_condition(lambda: self.state is not None)
            state = self._current()
            if state.is_closed:
                break
            if self._continue_as_new_due():
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self.lock.locked()
                )
                workflow.continue_as_new(self._carry_over())
            await self._wait_for_change_or_timer(state)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._current().to_dict()

    # --- the update ---------------------------------------------------------------------

    @workflow.update
    async def decide(self, request: DecisionInput) -> DecisionAnswer:
        decision = _parse(request)
        answer = await self._record(decision)
        round_ = self.state.open_round if self.state else None
        if decision.type in ROUND_VOTES and round_ is not None and round_.met:
            # The vote that meets the threshold closes the round before it is answered, so
            # whoever cast it can act on the endorsed plan at once.
            # Its answer shows the round closed, at the closing's position, so that a read
            # with that `min_position` sees what the answer showed.
            try:
                closed = await self._record(self._closing(DecisionType.ENDORSEMENT_REACHED, round_))
            except ApplicationError as refused:
                workflow.logger.info("round not closed: %s", refused.message)
            else:
                answer = replace(answer, experiment=closed.experiment, position=closed.position)
        return answer

    @decide.validator
    def validate_decide(self, request: DecisionInput) -> None:
        decision = _parse(request)
        if decision.decision_id in self.known_ids:
            return  # a repeat: the handler answers with the stored result
        try:
            rules.check(self.state, decision, workflow.now())
        except RuleViolation as refused:
            raise to_application_error(refused) from None

    @workflow.query
    def experiment(self) -> dict[str, Any] | None:
        return self.state.to_dict() if self.state else None

    # --- recording ----------------------------------------------------------------------

    async def _record(self, decision: Decision) -> DecisionAnswer:
        """Record one decision; handlers take turns, so decisions never interleave."""
        async with self.lock:
            repeat = decision.decision_id in self.known_ids
            if not repeat:
                try:
                    rules.check(self.state, decision, workflow.now())
                except RuleViolation as refused:
                    raise to_application_error(refused) from None
            if decision.type is DecisionType.START and workflow.patched(ENDORSEMENT_ROUNDS):
                decision = replace(decision, payload={**decision.payload, "rules": RULES_ROUNDS})
            request = RecordInput(
                experiment_id=self.experiment_id,
                decision=decision.to_dict(),
                at=workflow.now().isoformat(),
            )
            try:
                if workflow.patched(LOCAL_APPEND):
                    result = await workflow.execute_local_activity_method(
                        ExperimentActivities.record_decision,
                        request,
                        start_to_close_timeout=ACTIVITY_TIMEOUT,
                        retry_policy=ACTIVITY_RETRY,
                    )
                else:
                    result = await workflow.execute_activity_method(
                        ExperimentActivities.record_decision,
                        request,
                        start_to_close_timeout=ACTIVITY_TIMEOUT,
                        retry_policy=ACTIVITY_RETRY,
                    )
            except ActivityError as failed:
                domain_error = from_failure(failed)
                if isinstance(domain_error, RuleViolation):
                    # The record disagrees with this copy of the state: the record wins.
                    await self._reload()
                if domain_error is not None:
                    raise to_application_error(domain_error) from None
                raise
            self._remember(decision.decision_id)
            if self.state is None and result.repeated:
                # Started again long after the first time (its old workflow is gone): the
                # experiment may have moved on since, so take the full record, not the answer.
                await self._reload()
            if self.state is None or result.experiment["version"] > self.state.version:
                self.state = ExperimentState.from_dict(result.experiment)
                self._publish_search_attributes()
            workflow.logger.info(
                "decision recorded",
                extra={
                    "experiment_id": self.experiment_id,
                    "decision_id": decision.decision_id,
                    "workflow_id": workflow.info().workflow_id,
                },
            )
            return result

    def _remember(self, decision_id: str) -> None:
        if decision_id in self.known_ids:
            return
        self.recent_ids.append(decision_id)
        self.known_ids.add(decision_id)
        if len(self.recent_ids) > RECENT_DECISION_IDS:
            self.known_ids.discard(self.recent_ids.pop(0))

    async def _reload(self) -> None:
        loaded = await workflow.execute_activity_method(
            ExperimentActivities.load_experiment,
            LoadInput(self.experiment_id),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        if loaded.state is not None:
            self.state = ExperimentState.from_dict(loaded.state)
        for decision_id in loaded.decision_ids:
            self._remember(decision_id)

    # --- timers -------------------------------------------------------------------------

    def _next_timer(self, state: ExperimentState) -> tuple[DecisionType, datetime] | None:
        """The next timer decision and when it falls due, counted from entering the stage."""
        entered = state.stage_entered_at or state.updated_at
        if state.stage is Stage.ACT:
            act_over = entered + timedelta(days=state.act_days)
            if not state.stage_due:
                return DecisionType.STAGE_DUE, act_over
            if not state.stage_overdue:
                return DecisionType.STAGE_OVERDUE, act_over + self.grace
        if state.stage is Stage.EVALUATE and not state.stage_overdue:
            return DecisionType.STAGE_OVERDUE, entered + self.grace
        round_ = state.open_round
        if round_ is not None:
            # The threshold closes a round as soon as it is met; its deadline otherwise.
            if round_.met:
                return DecisionType.ENDORSEMENT_REACHED, workflow.now()
            announce = round_.announces_closing_at
            if announce is not None:
                return DecisionType.ENDORSEMENT_CLOSING, announce
            return DecisionType.ENDORSEMENT_FAILED, round_.closes_at
        return None

    async def _wait_for_change_or_timer(self, state: ExperimentState) -> None:
        version = state.version

        def changed() -> bool:
            return self._current().version != version or self._continue_as_new_due()

        timer = self._next_timer(state)
        if timer is None:
            await workflow.wait_condition(changed)
            return
        kind, due_at = timer
        delay = due_at - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(changed, timeout=delay)
                return
            except TimeoutError:
                pass
        await self._take_timer_decision(kind, due_at)

    async def _take_timer_decision(self, kind: DecisionType, due_at: datetime) -> None:
        state = self._current()
        round_ = state.open_round
        if kind in (
            DecisionType.ENDORSEMENT_REACHED,
            DecisionType.ENDORSEMENT_FAILED,
            DecisionType.ENDORSEMENT_CLOSING,
        ):
            assert round_ is not None
            decision = self._closing(kind, round_)
        else:
            if kind is DecisionType.STAGE_DUE:
                why = f"the act period of {state.act_days} days ended; evaluation is due"
            else:
                why = f"{state.stage.value} is still open {self.grace_days} days after it fell due"
            decision = Decision(
                # Deterministic: the same timer on the same version is the same decision.
                decision_id=f"timer:{kind.value}:c{state.cycle}:v{state.version}",
                type=kind,
                actor=TIMER_ACTOR,
                rationale=f"{why} ({due_at.date().isoformat()})",
                source="timer",
            )
        try:
            await self._record(decision)
        except ApplicationError as refused:
            # A human decision got in first and changed the stage: nothing is due any more.
            workflow.logger.info("timer decision not taken: %s", refused.message)

    @staticmethod
    def _closing(kind: DecisionType, round_: Round) -> Decision:
        """The decision that closes an endorsement round (or says it soon will), with its
        tally."""
        tally = round_.tally()
        if kind is DecisionType.ENDORSEMENT_REACHED:
            why = f"{tally['endorsements']} endorsements reached the threshold of {tally['needed']}"
        elif kind is DecisionType.ENDORSEMENT_CLOSING:
            why = (
                f"the round closes on {round_.closes_on}; {tally['endorsements']} of "
                f"{tally['needed']} endorsements so far"
            )
        else:
            why = (
                f"the round closed on {round_.closes_on} with {tally['endorsements']} of "
                f"{tally['needed']} endorsements"
            )
            if round_.missing_co_signers:
                why += f", without {', '.join(round_.missing_co_signers)}"
        payload: dict[str, Any] = dict(tally)
        if kind is DecisionType.ENDORSEMENT_CLOSING:
            payload["closes_on"] = round_.closes_on
            # Who voted already (pseudonymous ids): the reminder goes to the others.
            payload["voted"] = sorted(v for v in round_.votes if not v.startswith("meeting-"))
        return Decision(
            # Deterministic: a round closes (and announces its closing) once.
            decision_id=f"timer:{kind.value}:r{round_.number}",
            type=kind,
            actor=TIMER_ACTOR,
            rationale=why,
            source="timer",
            payload=payload,
        )

    # --- continue-as-new and search attributes ------------------------------------------

    def _current(self) -> ExperimentState:
        assert self.state is not None
        return self.state

    def _continue_as_new_due(self) -> bool:
        state = self.state
        if state is None or state.is_closed:
            return False
        return (
            state.cycle > self.run_started_in_cycle
            or workflow.info().is_continue_as_new_suggested()
        )

    def _carry_over(self) -> ExperimentInput:
        return ExperimentInput(
            experiment_id=self.experiment_id,
            state=self._current().to_dict(),
            recent_decision_ids=list(self.recent_ids),
            overdue_grace_days=self.grace_days,
        )

    def _publish_search_attributes(self) -> None:
        state = self.state
        if state is None:
            return
        values = (
            state.municipality,
            state.neighbourhood.code,
            state.stage.value,
            state.status.value,
            state.cycle,
        )
        if values == self.published:
            return
        self.published = values
        workflow.upsert_search_attributes(
            [
                sa.MUNICIPALITY.value_set(state.municipality),
                sa.NEIGHBOURHOOD.value_set(state.neighbourhood.code),
                sa.STAGE.value_set(state.stage.value),
                sa.STATUS.value_set(state.status.value),
                sa.CYCLE.value_set(state.cycle),
            ]
        )
