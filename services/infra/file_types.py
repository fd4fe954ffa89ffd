"""What a file is, read from its first bytes (`filetype`'s magic numbers) and, for text, from
its content: valid UTF-8 without control characters is plain text, and text whose lines
split into the same number of fields (two or more) by one delimiter is CSV."""

from __future__ import annotations

import csv
import io

import filetype

SNIFF_BYTES = 8192


def sniff(data: bytes) -> str | None:
    """The media type of `data`, or None when it is none this module recognises."""
    found = filetype.guess_mime(data[:SNIFF_BYTES])
    if found is not None:
        return str(found)
    return _text_type(data)


def _text_type(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 0x20 and c not in "\t\r\n" for c in text):
        return None
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if len(lines) >= 2:
        for delimiter in (",", ";", "\t"):
            widths = {
                len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
            }
            if len(widths) == 1 and widths.pop() >= 2:
                return "text/csv"
    return "text/plain"
