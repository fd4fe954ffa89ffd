"""A file's kind comes from its content: magic numbers for binary formats, and for text a
check that it is UTF-8 without control characters, CSV when its lines split evenly."""

from __future__ import annotations

import pytest

from domain.evidence import UnsupportedFileType, check_media_type
from services.infra.file_types import sniff


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (bytes.fromhex("89504e470d0a1a0a0000000d49484452"), "image/png"),
        (bytes.fromhex("ffd8ffe000104a464946"), "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"a;b;c\n1;2;3\n4;5;6\n", "text/csv"),
        (b"naam,aantal\nOvervecht,12\n", "text/csv"),
        ("Eén regel tekst, met een komma.".encode(), "text/plain"),
        (b"eerste regel\ntweede, met komma\n", "text/plain"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "application/x-msdownload"),
        (b"\x00\x01\x02binary", None),
        (b"\xff\xfe\xfa not utf-8", None),
    ],
)
def test_the_kind_is_read_from_the_content(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


def test_only_the_kept_kinds_pass() -> None:
    assert check_media_type("application/pdf") == "application/pdf"
    for refused in ("application/x-msdownload", "application/zip", "text/html", None):
        with pytest.raises(UnsupportedFileType):
            check_media_type(refused)
