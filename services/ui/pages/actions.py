""" "Wacht op u": what waits on the signed-in person, from their role, across the
municipality's experiments — longest waiting first, late ones marked."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.values import Role
from services.ui.rendering import render
from services.ui.session import WAITED_ON, require, services_of

router = APIRouter(include_in_schema=False)


@router.get("/actions", response_class=HTMLResponse)
async def actions_page(
    request: Request,
    scope: str = "mine",
    late: str | None = None,
    cursor: str | None = None,
) -> Response:
    """Mine (what waits on my role; for a manager, the experiments they are responsible
    for and those no one is yet), or everything; late ones only, if asked."""
    principal = await require(request)
    services = services_of(request)
    everything = scope == "all" or principal.role not in WAITED_ON
    manager = principal.role is Role.PROGRAMME_MANAGER
    page = await run_in_threadpool(
        lambda: services.read_models.actions(
            principal.municipality,
            role=None if everything else principal.role.value,
            overdue=True if late else None,
            owner=principal.actor_id if manager and not everything else None,
            unowned_too=True,
            cursor=cursor or None,
            limit=50,
        )
    )
    next_url = None
    if page.next_cursor:
        next_url = "/actions?" + urlencode(
            {"scope": scope, "late": late or "", "cursor": page.next_cursor}
        )
    return render(
        request,
        "actions.html",
        {
            "page": page,
            "scope": "all" if everything else "mine",
            "may_choose": principal.role in WAITED_ON,
            "late": bool(late),
            "next_url": next_url,
        },
        principal=principal,
    )
