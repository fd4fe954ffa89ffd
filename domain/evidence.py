"""Evidence: the files a decision rests on (a survey's results, minutes of a residents'
evening, a photo of the street). What may be kept, how large, and the refusals.

The kind of a file is read from its content, never from what the client says it is, so a
script renamed `notulen.pdf` is refused. A resident's own file (`personal`) is sealed with
their key like their words, so erasing them makes it unreadable.
"""

from __future__ import annotations

from domain.errors import DomainError

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# The kinds of file kept, by media type, with the extension a download gets.
ALLOWED_MEDIA_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "text/csv": "csv",
    "text/plain": "txt",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}


class FileTooLarge(DomainError):
    code = "file_too_large"


class UnsupportedFileType(DomainError):
    code = "unsupported_media_type"


class EvidenceNotFound(DomainError):
    code = "not_found"


class EvidenceNotOfExperiment(DomainError):
    """A decision named a file that is not this experiment's (or does not exist)."""

    code = "evidence_not_found"


class EvidenceErased(DomainError):
    """The file was a person's own and that person was erased: it cannot be read."""

    code = "evidence_erased"


def check_size(size: int) -> None:
    if size > MAX_EVIDENCE_BYTES:
        raise FileTooLarge(f"a file may be at most {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB")


def check_media_type(media_type: str | None) -> str:
    if media_type not in ALLOWED_MEDIA_TYPES:
        allowed = ", ".join(sorted(set(ALLOWED_MEDIA_TYPES.values())))
        raise UnsupportedFileType(f"this kind of file is not kept; allowed are: {allowed}")
    return media_type
