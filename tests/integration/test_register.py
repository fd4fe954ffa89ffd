"""The neighbourhood register from CBS's Kerncijfers wijken en buurten: a file in CBS's
layout is kept whole; a wrong header, a bad line or another encoding is refused by line and
changes nothing; a later year's figures join the earlier ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.register import RegisterFileInvalid, municipality_slug
from services.infra import cbs_csv
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.stores.neighbourhood_register import NeighbourhoodRegister

SAMPLE = (
    Path(__file__).parent.parent / "data" / "cbs" / "kerncijfers-wijken-en-buurten-2024-sample.csv"
)


@pytest.fixture
def register(database: Database) -> NeighbourhoodRegister:
    migrate(database)
    return NeighbourhoodRegister(database)


def test_a_cbs_file_is_read_and_kept(register: NeighbourhoodRegister) -> None:
    found = cbs_csv.read(SAMPLE.read_bytes(), year=2024)
    assert found.year == 2024
    assert {n.municipality for n in found.neighbourhoods} == {"utrecht", "zwolle"}
    assert register.keep(found.neighbourhoods, found.year) == 8
    overvecht = register.find("WK034403", "utrecht")
    assert overvecht is not None
    assert (overvecht.name, overvecht.kind) == ("Wijk 03 Overvecht", "wijk")
    figures = {f.key: f for f in overvecht.figures}
    assert figures["AantalInwoners"].value == 35200
    assert figures["AantalInwoners"].label == "Aantal inwoners"
    assert figures["HuishoudensMetEenLaagInkomen"].unit == "%"
    assert figures["GemiddeldeWoningwaarde"].source == "CBS Kerncijfers wijken en buurten 2024"
    noordoost = register.find("WK034404", None)
    assert noordoost is not None
    assert "k_65JaarOfOuder" not in {f.key for f in noordoost.figures}, "'.' is no figure"
    assert register.find("WK034403", "zwolle") is None, "another municipality's"
    assert register.knows("utrecht", "BU03440305") is True
    assert register.knows("utrecht", "WK999999") is False
    assert register.knows("amersfoort", "WK034403") is None, "no register: nothing to say"
    gemeente = register.find("GM0344", "utrecht")
    assert gemeente is not None
    assert (gemeente.name, gemeente.kind) == ("Utrecht", "gemeente")

    # The next year's figures join the earlier year's; one municipality only.
    later = SAMPLE.read_bytes().replace(b";35200;", b";35650;")
    next_year = cbs_csv.read(later, year=2025, municipality="utrecht")
    assert {n.municipality for n in next_year.neighbourhoods} == {"utrecht"}
    register.keep(next_year.neighbourhoods, next_year.year)
    overvecht = register.find("WK034403", "utrecht")
    assert overvecht is not None
    residents = [(f.year, f.value) for f in overvecht.figures if f.key == "AantalInwoners"]
    assert residents == [(2025, 35650), (2024, 35200)], "latest year first"


def _lines() -> list[bytes]:
    return SAMPLE.read_bytes().split(b"\r\n")


@pytest.mark.parametrize(
    ("change", "line", "says"),
    [
        (lambda ls: [ls[0].replace(b'"Codering_3"', b'"Code"'), *ls[1:]], 1, "Codering_3"),
        (lambda ls: [*ls[:3], ls[3] + b";12", *ls[4:]], 4, "fields"),
        (lambda ls: [*ls[:5], ls[5].replace(b"BU03440305", b"BU034403XX"), *ls[6:]], 6, "not a CBS code"),
        (lambda ls: [*ls[:4], ls[4].replace(b";246;", b";veel;"), *ls[5:]], 5, "not a number"),
        (lambda ls: [*ls[:2], ls[2].replace(b"Wijk      ", b"Buurt     "), *ls[3:]], 3, "is a wijk"),
        (lambda ls: [*ls[:3], ls[3].replace(b"Lombok", "Lômbok".encode("latin-1")), *ls[4:]], 4, "not UTF-8"),
        (lambda ls: [*ls[:9], ls[2], *ls[9:]], 10, "appears twice"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_right_says_which_line_and_keeps_nothing(
    register: NeighbourhoodRegister,
    change,
    line: int,
    says: str,  # type: ignore[no-untyped-def]
) -> None:
    data = b"\r\n".join(change(_lines()))
    with pytest.raises(RegisterFileInvalid) as refused:
        cbs_csv.read(data, year=2024)
    assert refused.value.line == line
    assert says in refused.value.message
    assert refused.value.message.startswith(f"line {line}:")
    assert register.find("WK034403", None) is None, "nothing kept"


def test_what_the_file_does_not_say() -> None:
    with pytest.raises(RegisterFileInvalid, match="give it"):
        cbs_csv.read(SAMPLE.read_bytes())
    with pytest.raises(RegisterFileInvalid, match="nothing of municipality 'amersfoort'"):
        cbs_csv.read(SAMPLE.read_bytes(), year=2024, municipality="amersfoort")
    with pytest.raises(RegisterFileInvalid, match="empty"):
        cbs_csv.read(b"", year=2024)
    period = (
        SAMPLE.read_bytes()
        .replace(b'"ID";', b'"ID";"Perioden";', 1)
        .replace(b"\r\n0;", b'\r\n0;"2023JJ00";')
    )
    with pytest.raises(RegisterFileInvalid, match="line 3: 14 fields where the header has 15"):
        cbs_csv.read(period)


def test_the_year_from_a_periods_column() -> None:
    header, *rows = _lines()
    with_period = [header.replace(b'"ID";', b'"ID";"Perioden";', 1)] + [
        row.replace(b";", b';"2023JJ00  ";', 1) if row else row for row in rows
    ]
    found = cbs_csv.read(b"\r\n".join(with_period))
    assert found.year == 2023
    assert {f.year for n in found.neighbourhoods for f in n.figures} == {2023}


def test_municipality_codes_from_cbs_names() -> None:
    assert municipality_slug("'s-Hertogenbosch") == "s-hertogenbosch"
    assert municipality_slug("Súdwest-Fryslân") == "sudwest-fryslan"
    assert municipality_slug("Utrecht                ") == "utrecht"
