"""Keeping and handing out evidence: an upload is checked (size, kind read from the content,
an experiment of the uploader's municipality) before anything is stored; a download is
recorded as a read before the file is handed over, and a file of an erased person cannot be
read."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from domain.access import Principal
from domain.errors import ExperimentNotFound, InvalidInput
from domain.evidence import (
    EvidenceErased,
    EvidenceNotFound,
    check_media_type,
    check_size,
)
from domain.values import MAX_SHORT_TEXT, Role, check_visible, text
from services.infra.file_types import sniff
from services.stores.access_records import AccessLog
from services.stores.evidence import EvidenceFile, EvidenceStore, Unreadable

# Where an experiment is, by id: its municipality, or None when there is no such experiment.
MunicipalityOf = Callable[[UUID], str | None]


class Evidence:
    def __init__(
        self, store: EvidenceStore, access: AccessLog, municipality_of: MunicipalityOf
    ) -> None:
        self.store = store
        self.access = access
        self.municipality_of = municipality_of

    def upload(
        self,
        principal: Principal,
        experiment_id: UUID,
        *,
        title: str,
        data: bytes,
        personal: bool = False,
    ) -> EvidenceFile:
        check_size(len(data))
        if not data:
            raise InvalidInput("the file is empty", field="file")
        title = text(title, "title", max_length=MAX_SHORT_TEXT)
        check_visible(title, "title")
        media_type = check_media_type(sniff(data))
        found = self.municipality_of(experiment_id)
        if found is None or not principal.sees(found):
            raise ExperimentNotFound(f"experiment {experiment_id} does not exist")
        owner = None
        if personal:
            if principal.role is not Role.RESIDENT or principal.person_id is None:
                raise InvalidInput(
                    "only a resident's own file is kept as personal", field="personal"
                )
            owner = principal.person_id
        made = EvidenceFile(
            id=uuid.uuid4(),
            municipality=found,
            experiment_id=experiment_id,
            title=title,
            media_type=media_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            owner=owner,
            uploaded_by=principal.actor_id,
            uploaded_at=datetime.now(UTC),
        )
        try:
            self.store.save(made, data)
        except Unreadable:  # the resident was erased while uploading
            raise EvidenceErased("this person was erased; their file is not kept") from None
        return made

    def download(self, principal: Principal, evidence_id: UUID) -> tuple[EvidenceFile, bytes]:
        """The file and its bytes; the read is recorded first."""
        found = self.store.get(evidence_id)
        if found is None or not principal.sees(found.municipality):
            raise EvidenceNotFound(f"evidence {evidence_id} does not exist")
        self.access.record(
            principal,
            "evidence",
            municipality=found.municipality,
            experiment_id=found.experiment_id,
            detail={"evidence_id": str(evidence_id)},
        )
        try:
            data = b"".join(self.store.read(found))
        except Unreadable:
            raise EvidenceErased(
                "this file belonged to a person who was erased; it cannot be read"
            ) from None
        return found, data

    def files_of(self, experiment_id: UUID) -> dict[str, EvidenceFile]:
        """The experiment's files by id, to show beside the decisions that name them."""
        return {str(f.id): f for f in self.store.of_experiment(experiment_id)}

    def forget(self, file: EvidenceFile) -> None:
        """A file kept for a decision that was then refused goes again."""
        self.store.delete(file.id)
