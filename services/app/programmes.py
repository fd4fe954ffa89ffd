"""Creating programmes and taking their decisions on behalf of HTTP callers: tenancy, the
register's codes, and the hand-over to the programme's workflow (restarted from the record
where it went missing)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

from domain.programme import (
    ProgrammeAnswer,
    ProgrammeDecision,
    ProgrammeDecisionType,
    ProgrammeNotFound,
    ProgrammeState,
    check,
)
from domain.programme_record import programme_id_for
from domain.register import UnknownNeighbourhood
from domain.values import Actor
from services.app.errors import WorkflowNotRunning

CREATE_FIELDS = ("name", "description", "neighbourhoods", "period", "funding")


class ProgrammeWorkflowsPort(Protocol):
    async def create(self, programme_id: UUID, decision: ProgrammeDecision) -> ProgrammeAnswer: ...

    async def decide(self, programme_id: UUID, decision: ProgrammeDecision) -> ProgrammeAnswer: ...

    async def restart(
        self, programme_id: UUID, state: ProgrammeState, recent_decision_ids: list[str]
    ) -> None: ...


class ProgrammeRecordPort(Protocol):
    def state_of(self, programme_id: UUID) -> ProgrammeState | None: ...

    def recent_ids_of(self, programme_id: UUID) -> list[str]: ...

    def answer_of(
        self, programme_id: UUID, decision: ProgrammeDecision
    ) -> ProgrammeAnswer | None: ...


class ProgrammeService:
    def __init__(
        self,
        workflows: ProgrammeWorkflowsPort,
        record: ProgrammeRecordPort,
        register_knows: Callable[[str, str], bool | None],
        seal_actor: Callable[[Actor], Actor],
    ) -> None:
        self.workflows = workflows
        self.record = record
        self.register_knows = register_knows
        # A programme manager's name is sealed with their key, as in an experiment's
        # decisions: erasing them makes it unreadable in the record.
        self.seal_actor = seal_actor

    async def create(
        self, actor: Actor, municipality: str, body: dict[str, Any], key: str | None
    ) -> ProgrammeAnswer:
        decision = ProgrammeDecision.parse(
            decision_id=ProgrammeDecision.new_id(key) if key is not None else str(uuid.uuid4()),
            type=ProgrammeDecisionType.CREATE.value,
            actor=await asyncio.to_thread(self.seal_actor, actor),
            rationale=body.get("rationale"),
            payload={f: body.get(f) for f in CREATE_FIELDS if f in body}
            | {"municipality": municipality},
        )
        for i, code in enumerate(decision.payload["neighbourhoods"]):
            await self._check_register(municipality, code, f"neighbourhoods[{i}]")
        check(None, decision)  # the role, before a workflow starts for nothing
        programme_id = programme_id_for(municipality, key)
        # A repeat is answered from the record: its workflow may have ended (a closed
        # programme), and starting it again would start a run that knows nothing.
        stored = await asyncio.to_thread(self.record.answer_of, programme_id, decision)
        if stored is not None:
            return stored
        return await self.workflows.create(programme_id, decision)

    async def decide(
        self,
        actor: Actor,
        scope: str | None,
        programme_id: UUID,
        body: dict[str, Any],
        decision_id: str,
    ) -> ProgrammeAnswer:
        state = await asyncio.to_thread(self.record.state_of, programme_id)
        if state is None or (scope is not None and state.municipality != scope):
            raise ProgrammeNotFound(f"programme {programme_id} does not exist")
        kind = body.get("type")
        if kind == ProgrammeDecisionType.CREATE.value:
            raise ProgrammeNotFound("create a programme with POST /v1/programmes")
        decision = ProgrammeDecision.parse(
            decision_id=decision_id,
            type=kind,
            actor=await asyncio.to_thread(self.seal_actor, actor),
            rationale=body.get("rationale"),
            payload={k: v for k, v in body.items() if k not in ("type", "rationale")},
        )
        if decision.type is ProgrammeDecisionType.ADD_NEIGHBOURHOOD:
            await self._check_register(state.municipality, decision.payload["code"], "code")
        try:
            return await self.workflows.decide(programme_id, decision)
        except WorkflowNotRunning:
            return await self._without_workflow(programme_id, decision)

    async def _without_workflow(
        self, programme_id: UUID, decision: ProgrammeDecision
    ) -> ProgrammeAnswer:
        """A closed programme answers repeats and refuses the rest; an active one whose
        workflow went missing gets it back from the record."""
        stored = await asyncio.to_thread(self.record.answer_of, programme_id, decision)
        if stored is not None:
            return stored
        state = await asyncio.to_thread(self.record.state_of, programme_id)
        if state is None:
            raise ProgrammeNotFound(f"programme {programme_id} does not exist")
        check(state, decision)
        recent = await asyncio.to_thread(self.record.recent_ids_of, programme_id)
        await self.workflows.restart(programme_id, state, recent)
        return await self.workflows.decide(programme_id, decision)

    async def _check_register(self, municipality: str, code: str, field: str) -> None:
        known = await asyncio.to_thread(self.register_knows, municipality, code)
        if known is False:
            raise UnknownNeighbourhood(
                f"{code} is not in the neighbourhood register of {municipality}", field=field
            )
