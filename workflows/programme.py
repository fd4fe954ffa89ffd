"""`ProgrammeWorkflow`: one long-lived workflow per programme (`programme-<id>`), its single
writer.

It validates every decision with the programme's rules before anything is written, records
accepted ones through a local activity, and keeps the yearly timer: when a year of the
programme's period has ended in the Netherlands, it records `report_due` for that year (the
council's report is due). It continues as new after each year, so that a history that runs
for twenty years stays small, and ends when the programme is closed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import programme as rules
    from domain.errors import DomainError, RuleViolation
    from domain.programme import (
        ProgrammeAnswer,
        ProgrammeDecision,
        ProgrammeDecisionType,
        ProgrammeState,
        report_due_at,
    )
    from domain.values import TIMER_ACTOR, Actor
    from workflows.errors import from_failure, to_application_error
    from workflows.experiment import ACTIVITY_RETRY, ACTIVITY_TIMEOUT
    from workflows.programme_activities import ProgrammeActivities
    from workflows.programme_payloads import (
        RECENT_PROGRAMME_DECISIONS,
        ProgrammeDecisionInput,
        ProgrammeInput,
        ProgrammeRecordInput,
    )


def _parse(request: ProgrammeDecisionInput) -> ProgrammeDecision:
    """Check the decision again: the workflow trusts no caller."""
    raw = request.decision if isinstance(request.decision, dict) else {}
    try:
        return ProgrammeDecision.parse(
            decision_id=raw.get("decision_id"),
            type=raw.get("type"),
            actor=Actor.parse(raw.get("actor")),
            rationale=raw.get("rationale"),
            payload=raw.get("payload", {}),
        )
    except DomainError as error:
        raise to_application_error(error) from None


@workflow.defn
class ProgrammeWorkflow:
    @workflow.init
    def __init__(self, start: ProgrammeInput) -> None:
        self.programme_id = start.programme_id
        self.state = ProgrammeState.from_dict(start.state) if start.state else None
        self.recent_ids = list(start.recent_decision_ids)[-RECENT_PROGRAMME_DECISIONS:]
        self.known_ids = set(self.recent_ids)
        self.lock = asyncio.Lock()
        self.reports_this_run = 0
        # Years whose report_due was refused in this run: not tried again at once.
        self.refused_years: set[int] = set()

    @workflow.run
    async def run(self, start: ProgrammeInput) -> dict[str, Any]:
        while True:
            await workflow.wait_condition(lambda: self.state is not None)
            state = self._current()
            if state.closed:
                break
            if self.reports_this_run or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self.lock.locked()
                )
                workflow.continue_as_new(self._carry_over())
            await self._wait_for_change_or_year_end(state)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._current().to_dict()

    @workflow.update
    async def decide(self, request: ProgrammeDecisionInput) -> ProgrammeAnswer:
        return await self._record(_parse(request))

    @decide.validator
    def validate_decide(self, request: ProgrammeDecisionInput) -> None:
        decision = _parse(request)
        if decision.decision_id in self.known_ids:
            return  # a repeat: the handler answers with the stored result
        try:
            rules.check(self.state, decision)
        except RuleViolation as refused:
            raise to_application_error(refused) from None

    @workflow.query
    def programme(self) -> dict[str, Any] | None:
        return self.state.to_dict() if self.state else None

    async def _record(self, decision: ProgrammeDecision) -> ProgrammeAnswer:
        """Record one decision; handlers take turns, so decisions never interleave."""
        async with self.lock:
            if decision.decision_id not in self.known_ids:
                try:
                    rules.check(self.state, decision)
                except RuleViolation as refused:
                    raise to_application_error(refused) from None
            request = ProgrammeRecordInput(
                programme_id=self.programme_id,
                decision=decision.to_dict(),
                at=workflow.now().isoformat(),
            )
            try:
                result = await workflow.execute_local_activity_method(
                    ProgrammeActivities.record_programme_decision,
                    request,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
            except ActivityError as failed:
                domain_error = from_failure(failed)
                if domain_error is not None:
                    raise to_application_error(domain_error) from None
                raise
            self._remember(decision.decision_id)
            if self.state is None or result.programme["version"] > self.state.version:
                self.state = ProgrammeState.from_dict(result.programme)
            workflow.logger.info(
                "programme decision recorded",
                extra={
                    "programme_id": self.programme_id,
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
        if len(self.recent_ids) > RECENT_PROGRAMME_DECISIONS:
            self.known_ids.discard(self.recent_ids.pop(0))

    async def _wait_for_change_or_year_end(self, state: ProgrammeState) -> None:
        """Wait for the next decision, or the end of the next year whose report is not yet
        due, and record that it is."""
        version = state.version

        def changed() -> bool:
            return self._current().version != version

        year = next(
            (y for y in state.years if y not in state.reports_due and y not in self.refused_years),
            None,
        )
        if year is None:
            await workflow.wait_condition(changed)
            return
        delay = report_due_at(year) - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(changed, timeout=delay)
                return
            except TimeoutError:
                pass
        decision = ProgrammeDecision(
            # Deterministic: a year's report falls due once.
            decision_id=f"timer:report_due:{year}",
            type=ProgrammeDecisionType.REPORT_DUE,
            actor=TIMER_ACTOR,
            rationale=f"the year {year} of the programme has ended; its report is due",
            payload={"year": year},
        )
        try:
            await self._record(decision)
            self.reports_this_run += 1
        except ApplicationError as refused:  # a decision got in first (closed it)
            self.refused_years.add(year)
            workflow.logger.warning("report_due not recorded: %s", refused)

    def _current(self) -> ProgrammeState:
        assert self.state is not None
        return self.state

    def _carry_over(self) -> ProgrammeInput:
        return ProgrammeInput(
            programme_id=self.programme_id,
            state=self._current().to_dict(),
            recent_decision_ids=list(self.recent_ids),
        )
