"""What waits on whom: the decisions experiments wait for, from which role, since when."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from services.api import answers
from services.api.deps import Reader, ServicesDep

router = APIRouter(prefix="/v1", tags=["actions"], responses=answers.ERRORS)

AwaitedFrom = Literal["programme_manager", "resident", "partner"]


@router.get("/actions", response_model=answers.Page[answers.Action], operation_id="actions")
def list_actions(
    principal: Reader,
    services: ServicesDep,
    role: AwaitedFrom | None = None,
    overdue: bool | None = None,
    mine: bool = False,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """Every decision an experiment of the caller's municipality waits for, longest waiting
    first: `role` — awaited from; `overdue`; `mine` — of experiments the caller is the
    responsible manager of (`assign_owner`)."""
    return services.read_models.actions(
        principal.municipality,
        role=role,
        overdue=overdue,
        owner=principal.actor_id if mine else None,
        cursor=cursor,
        limit=limit,
    ).to_dict()
