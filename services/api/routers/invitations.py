"""Invitations over the API: made by admins and programme managers, listed without their
codes, revoked while unused."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from services.api import answers
from services.api.deps import Inviter, ServicesDep
from services.api.errors import ApiError
from services.api.schemas import InvitationIn

router = APIRouter(prefix="/v1/invitations", tags=["invitations"], responses=answers.ERRORS)


@router.post("", status_code=201, response_model=answers.NewInvitation)
async def invite(body: InvitationIn, principal: Inviter, services: ServicesDep) -> JSONResponse:
    """Invite a person; the code is in this answer only. Mailed when the contact is an
    e-mail address and mail is configured (`delivered: "email"`), else print the letter."""
    made = await run_in_threadpool(
        services.inviting.invite, principal, body.model_dump(exclude_none=True)
    )
    return JSONResponse(made.to_dict(), status_code=201)


@router.get("", response_model=answers.Page[answers.Invitation])
def list_invitations(principal: Inviter, services: ServicesDep) -> dict[str, Any]:
    """The municipality's invitations, newest first (never their codes)."""
    found = services.invitations.list(principal.municipality)
    return {"items": [i.to_dict() for i in found], "next_cursor": None}


@router.delete("/{invitation_id}", response_model=answers.Invitation)
def revoke_invitation(
    invitation_id: UUID, principal: Inviter, services: ServicesDep
) -> dict[str, Any]:
    """Revoke an unused invitation: its code opens nothing from now on."""
    found = services.invitations.get(invitation_id, principal.municipality)
    if found is None:
        raise ApiError(404, "not_found", f"invitation {invitation_id} does not exist")
    if not services.invitations.revoke(invitation_id) and found.used_at is not None:
        raise ApiError(409, "invitation_used", "the invitation was already used")
    revoked = services.invitations.get(invitation_id, principal.municipality)
    assert revoked is not None
    return revoked.to_dict()
