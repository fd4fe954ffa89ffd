"""CSV that is safe to open in a spreadsheet: every CSV wijklab writes goes through here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets; a resident's rationale `=HYPERLINK(…)` would become a live link
that leaks the neighbouring cells. As OWASP's guidance on CSV injection says, such a cell is
prefixed with a single quote (shown as text, the value otherwise intact) and every cell is
quoted. Numbers the writer produces itself (positions, cycles) are not text and stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: Any) -> Any:
    """The cell as a spreadsheet shows it as text: a leading formula character defused."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class SafeCsv:
    """Rows written as quoted CSV with formula cells neutralised, collected for streaming."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_ALL)

    def row(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([neutralised(cell) for cell in cells])

    def take(self) -> str:
        """What was written since the last call, to send as one chunk."""
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
