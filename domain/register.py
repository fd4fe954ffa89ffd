"""The neighbourhood register: a municipality's districts and neighbourhoods as CBS counts
them (`GM…` the municipality, `WK…` its districts, `BU…` their neighbourhoods), each with
key figures of a year, to start experiments on real codes and to measure against.

Pure: what a row of CBS's *Kerncijfers wijken en buurten* means, checked. Reading the file
is `services.infra.cbs_csv`; keeping it, `services.stores.neighbourhood_register`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from domain.errors import DomainError, InvalidInput

CODE = re.compile(r"^(GM\d{4}|WK\d{6}|BU\d{8})$")
KINDS = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}
# CBS's SoortRegio_2 for each kind of code.
CBS_KINDS = {"Gemeente": "gemeente", "Wijk": "wijk", "Buurt": "buurt"}


class RegisterFileInvalid(DomainError):
    """A register file that cannot be read as it is: nothing of it is kept. `line` is the
    line of the file that fails (1 is the header), where one does."""

    code = "register_file_invalid"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class UnknownNeighbourhood(InvalidInput):
    """A neighbourhood code the municipality's register does not have."""

    code = "unknown_neighbourhood"


@dataclass(frozen=True, slots=True)
class Figure:
    """One key figure of a neighbourhood: what (key and label), how much, in what, when,
    from where."""

    key: str
    label: str
    value: float
    unit: str | None
    year: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "year": self.year,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class RegisteredNeighbourhood:
    code: str
    name: str
    kind: str
    municipality: str
    figures: tuple[Figure, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "municipality": self.municipality,
            "figures": [f.to_dict() for f in self.figures],
        }


def municipality_slug(name: str) -> str:
    """wijklab's code for a municipality from its CBS name: 's-Hertogenbosch is
    s-hertogenbosch, Súdwest-Fryslân is sudwest-fryslan."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def kind_of(code: str, cbs_kind: str, line: int) -> str:
    """The kind a code is, checked against what CBS says it is."""
    if not CODE.match(code):
        raise RegisterFileInvalid(
            f"{code!r} is not a CBS code (GM + 4, WK + 6 or BU + 8 digits)", line=line
        )
    kind = KINDS[code[:2]]
    said = CBS_KINDS.get(cbs_kind)
    if said is None:
        raise RegisterFileInvalid(
            f"SoortRegio {cbs_kind!r} is not Gemeente, Wijk or Buurt", line=line
        )
    if said != kind:
        raise RegisterFileInvalid(f"{code} is a {kind}, not a {said}", line=line)
    return kind
