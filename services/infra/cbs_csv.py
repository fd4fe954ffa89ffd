"""CBS open data's *Kerncijfers wijken en buurten* as CSV, read into the register.

The layout is the one CBS open data (StatLine, opendata.cbs.nl) exports for these tables
(84583NED for 2019 … 85984NED for 2024): a header of column keys — `ID`, `WijkenEnBuurten`,
`Gemeentenaam_1`, `SoortRegio_2`, `Codering_3`, `IndelingswijzigingWijkenEnBuurten_4`, then
one column per figure, each key ending in its number (`AantalInwoners_5`,
`GemiddeldeWoningwaarde_35`, …); fields separated by `;`, text quoted and padded with
spaces, a missing figure written `.` or left empty, UTF-8. The table has no year of its
own, so the year comes with the file (`--year`), or from a `Perioden` column (`2024JJ00`)
where the export has one.

Everything is checked before anything is kept: a wrong header, a line that does not fit it,
another encoding, each names the line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from domain.register import (
    Figure,
    RegisteredNeighbourhood,
    RegisterFileInvalid,
    kind_of,
    municipality_slug,
)
from domain.values import number

IDENTITY = ("ID", "WijkenEnBuurten", "Gemeentenaam_1", "SoortRegio_2", "Codering_3")
NOT_FIGURES = frozenset({*IDENTITY, "Perioden"})
_FIGURE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*?)_(\d+)$")
_PERIOD = re.compile(r"^(\d{4})JJ00$")
MAX_BYTES = 64 * 1024 * 1024

# Labels and units of the figures most used as baselines; any other figure keeps its key
# as its label.
KNOWN: dict[str, tuple[str, str | None]] = {
    "AantalInwoners": ("Aantal inwoners", "aantal"),
    "Mannen": ("Mannen", "aantal"),
    "Vrouwen": ("Vrouwen", "aantal"),
    "k_0Tot15Jaar": ("Inwoners van 0 tot 15 jaar", "aantal"),
    "k_15Tot25Jaar": ("Inwoners van 15 tot 25 jaar", "aantal"),
    "k_65JaarOfOuder": ("Inwoners van 65 jaar of ouder", "aantal"),
    "Bevolkingsdichtheid": ("Bevolkingsdichtheid", "inwoners per km²"),
    "HuishoudensTotaal": ("Huishoudens", "aantal"),
    "Eenpersoonshuishoudens": ("Eenpersoonshuishoudens", "aantal"),
    "GemiddeldeHuishoudensgrootte": ("Gemiddelde huishoudensgrootte", "personen"),
    "Woningvoorraad": ("Woningvoorraad", "aantal"),
    "GemiddeldeWoningwaarde": ("Gemiddelde WOZ-waarde", "x 1.000 euro"),
    "Koopwoningen": ("Koopwoningen", "%"),
    "HuurwoningenTotaal": ("Huurwoningen", "%"),
    "InBezitWoningcorporatie": ("Huurwoningen van een corporatie", "%"),
    "GemiddeldElektriciteitsverbruikTotaal": ("Gemiddeld elektriciteitsverbruik", "kWh"),
    "GemiddeldAardgasverbruikTotaal": ("Gemiddeld aardgasverbruik", "m³"),
    "GemiddeldInkomenPerInwoner": ("Gemiddeld inkomen per inwoner", "x 1.000 euro"),
    "k_40PersonenMetLaagsteInkomen": ("Personen met de laagste 40% inkomens", "%"),
    "HuishoudensMetEenLaagInkomen": ("Huishoudens met een laag inkomen", "%"),
    "PersonenPerSoortUitkeringBijstand": ("Personen met bijstand", "aantal"),
    "TotaalDiefstalUitWoningSchuurED": ("Diefstallen uit woning, schuur e.d.", "aantal"),
    "VernielingMisdrijfTegenOpenbareOrde": ("Vernielingen en misdrijven tegen de openbare orde", "aantal"),
    "GeweldsEnSeksueleMisdrijven": ("Gewelds- en seksuele misdrijven", "aantal"),
}  # fmt: skip


@dataclass(frozen=True)
class RegisterFile:
    year: int
    neighbourhoods: list[RegisteredNeighbourhood]


def _lines(data: bytes) -> list[str]:
    """The file's lines, each decoded as UTF-8 (CBS's encoding); one that is not names its
    line."""
    if len(data) > MAX_BYTES:
        raise RegisterFileInvalid(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = []
    for n, raw in enumerate(data.splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise RegisterFileInvalid(
                "not UTF-8 (CBS exports UTF-8; was the file saved in another encoding?)", line=n
            ) from None
    if not lines:
        raise RegisterFileInvalid("the file is empty", line=1)
    return lines


def read(data: bytes, *, year: int | None = None, municipality: str | None = None) -> RegisterFile:
    """The register a CBS file holds (of `municipality` only, when given)."""
    lines = _lines(data)
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    try:
        return _read(lines, delimiter, year, municipality)
    except csv.Error as error:
        raise RegisterFileInvalid(f"not readable as CSV: {error}") from None


def _read(
    lines: list[str], delimiter: str, year: int | None, municipality: str | None
) -> RegisterFile:
    rows = csv.reader(lines, delimiter=delimiter)
    header = [cell.strip() for cell in next(rows)]
    missing = [column for column in IDENTITY if column not in header]
    if missing:
        raise RegisterFileInvalid(
            "the header lacks " + ", ".join(missing) + " (is this Kerncijfers wijken en buurten?)",
            line=1,
        )
    figure_columns = [
        (i, matched.group(1))
        for i, column in enumerate(header)
        if column not in NOT_FIGURES
        and not column.startswith("Indelingswijziging")
        and (matched := _FIGURE_KEY.match(column))
    ]
    at = {column: header.index(column) for column in (*IDENTITY, "Perioden") if column in header}
    found: list[RegisteredNeighbourhood] = []
    seen: set[str] = set()
    for line, cells in enumerate(rows, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise RegisterFileInvalid(
                f"{len(cells)} fields where the header has {len(header)}", line=line
            )
        row_year = _year(cells[at["Perioden"]] if "Perioden" in at else None, year, line)
        town = cells[at["Gemeentenaam_1"]].strip()
        slug = municipality_slug(town)
        if not slug:
            raise RegisterFileInvalid("no municipality name (Gemeentenaam_1)", line=line)
        code = cells[at["Codering_3"]].strip()
        kind = kind_of(code, cells[at["SoortRegio_2"]].strip(), line)
        if code in seen:
            raise RegisterFileInvalid(f"{code} appears twice", line=line)
        seen.add(code)
        if municipality is not None and slug != municipality:
            continue
        name = cells[at["WijkenEnBuurten"]].strip() or code
        if kind == "gemeente" or name == code:
            name = town if kind == "gemeente" else name
        source = f"CBS Kerncijfers wijken en buurten {row_year}"
        figures = []
        for i, key in figure_columns:
            cell = cells[i].strip()
            if cell in ("", "."):
                continue
            try:
                value = number(cell, key)
            except Exception:
                raise RegisterFileInvalid(
                    f"{header[i]} is {cell!r}, not a number", line=line
                ) from None
            label, unit = KNOWN.get(key, (key, None))
            figures.append(Figure(key, label, value, unit, row_year, source))
        found.append(RegisteredNeighbourhood(code, name, kind, slug, tuple(figures)))
    if municipality is not None and not found:
        raise RegisterFileInvalid(f"the file holds nothing of municipality {municipality!r}")
    if not found:
        raise RegisterFileInvalid("the file holds no neighbourhoods")
    years = {f.year for n in found for f in n.figures} or ({year} if year else set())
    return RegisterFile(max(years) if years else (year or 0), found)


def _year(period: str | None, year: int | None, line: int) -> int:
    if period is not None and period.strip():
        matched = _PERIOD.match(period.strip())
        if not matched:
            raise RegisterFileInvalid(
                f"Perioden {period.strip()!r} is not a year (2024JJ00)", line=line
            )
        return int(matched.group(1))
    if year is None:
        raise RegisterFileInvalid("the file says no year: give it (--year)")
    return year
