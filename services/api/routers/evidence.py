"""Evidence: upload a file for an experiment, download it (the read is recorded)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from domain.evidence import MAX_EVIDENCE_BYTES
from services.api import answers
from services.api.deps import Decider, Reader, ServicesDep

router = APIRouter(tags=["evidence"], responses=answers.ERRORS)


@router.post(
    "/v1/experiments/{experiment_id}/evidence",
    status_code=201,
    response_model=answers.EvidenceFile,
)
async def upload(
    experiment_id: UUID,
    file: Annotated[UploadFile, File(description="at most 10 MB; its kind is read from it")],
    title: Annotated[str, Form(max_length=300)],
    principal: Decider,
    services: ServicesDep,
    personal: Annotated[bool, Form(description="a resident's own file, sealed")] = False,
) -> dict[str, Any]:
    """Keep a file a decision may rest on (`evidence: [id]`). PDF, PNG, JPEG, WebP, CSV, plain
    text, OpenDocument and Office Open XML; anything else is 415, more than 10 MB is 413."""
    data = await file.read(MAX_EVIDENCE_BYTES + 1)  # one byte more: too large is said so
    made = await run_in_threadpool(
        services.evidence.upload,
        principal,
        experiment_id,
        title=title,
        data=data,
        personal=personal,
    )
    return made.to_dict()


@router.get(
    "/v1/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"description": "the file, as it was uploaded"}},
)
async def download(evidence_id: UUID, principal: Reader, services: ServicesDep) -> Response:
    found, data = await run_in_threadpool(services.evidence.download, principal, evidence_id)
    return Response(
        data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.download_name}"',
            "ETag": f'"{found.sha256}"',
        },
    )
