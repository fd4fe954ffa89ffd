"""`/dev/mail`: the mail a development installation kept instead of sending (there is no
mail server), so invitations and sign-in links can be followed on one machine."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from services.ui.rendering import PageError, render
from services.ui.session import services_of, signed_in

router = APIRouter(include_in_schema=False)


@router.get("/dev/mail", response_class=HTMLResponse)
async def dev_mail(request: Request) -> Response:
    outbox = services_of(request).dev_outbox
    if outbox is None:
        raise PageError(404, "not_found")
    messages = await run_in_threadpool(outbox.latest)
    return render(
        request, "dev_mail.html", {"messages": messages}, principal=await signed_in(request)
    )
