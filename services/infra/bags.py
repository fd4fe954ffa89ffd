"""Archive packages on disk: a Frictionless data package describing the CSV files, inside a
BagIt bag (RFC 8493) whose manifest holds a checksum of every file.

Both are written and checked with the libraries that keep those standards (`frictionless`,
`bagit`), so an archivist's own tools read the package as wijklab wrote it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import bagit
import frictionless

from domain.errors import DomainError

# SHA-256 alone: enough to catch any change, and half the reading of the default pair.
CHECKSUMS = ["sha256"]
PACKAGE_FILE = "datapackage.json"

# bagit reports every file it hashes through the logging module; a long export would flood
# the terminal, and the export shows its own progress.
logging.getLogger("bagit").setLevel(logging.WARNING)


class BagInvalid(DomainError):
    """An archive that fails verification; `path` names the file that fails, where one does."""

    code = "archive_invalid"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


def write_package(directory: Path, name: str, title: str, resources: Iterable[Any]) -> Path:
    """`datapackage.json` in `directory`, describing each CSV resource there.

    `resources` are objects with `name`, `title`, `description`, `path`, `primary_key` and
    `columns` (each with `name`, `type`, `description`, `required`).
    """
    descriptor = {
        "name": name,
        "title": title,
        "resources": [
            {
                "name": table.name,
                "title": table.title,
                "description": table.description,
                "path": table.path,
                "format": "csv",
                "encoding": "utf-8",
                "mediatype": "text/csv",
                "schema": {
                    "fields": [
                        {
                            "name": column.name,
                            "type": column.type,
                            "description": column.description,
                            **({"constraints": {"required": True}} if column.required else {}),
                        }
                        for column in table.columns
                    ],
                    "primaryKey": list(table.primary_key),
                },
            }
            for table in resources
        ],
    }
    # Read by the library (which checks the descriptor) and written by it.
    package = frictionless.Package.from_descriptor(descriptor, basepath=str(directory))
    target = directory / PACKAGE_FILE
    package.to_json(str(target))
    return target


def make_bag(directory: Path, info: dict[str, str]) -> None:
    """Turn `directory` into a bag in place: its files move under `data/`, and the manifests
    and `bag-info.txt` are written beside them."""
    bagit.make_bag(str(directory), bag_info=info, processes=1, checksums=CHECKSUMS)


def _first_changed(bag: bagit.Bag) -> str | None:
    """The first payload file missing, added or not matching its checksum."""
    listed = dict(bag.payload_entries())
    for path, hashes in sorted(listed.items()):
        full = Path(bag.path) / path
        if not full.is_file():
            return str(path)
        digest = hashlib.sha256()
        with full.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        if hashes.get("sha256") != digest.hexdigest():
            return str(path)
    for found in sorted(Path(bag.path, "data").rglob("*")):
        relative = found.relative_to(bag.path).as_posix()
        if found.is_file() and relative not in listed:
            return relative
    return None


def verify(directory: Path) -> dict[str, str]:
    """Check a bag's structure and every checksum, then every CSV against its schema in the
    data package; return the bag's info, or raise `BagInvalid` naming what fails."""
    try:
        bag = bagit.Bag(str(directory))
    except bagit.BagError as error:
        raise BagInvalid(f"not a bag: {error}") from None
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as error:
        failing = [getattr(d, "path", None) for d in (error.details or [])]
        named = [p for p in failing if p]
        if named:
            raise BagInvalid(
                f"{named[0]} does not match the bag's manifest"
                + (f" (and {len(named) - 1} more)" if len(named) > 1 else ""),
                path=named[0],
            ) from None
        # The quick size check (Payload-Oxum) fails before any file is named: find it.
        named_file = _first_changed(bag)
        raise BagInvalid(
            f"{named_file} does not match the bag's manifest"
            if named_file
            else f"not a valid bag: {error.message}",
            path=named_file,
        ) from None
    except bagit.BagError as error:
        raise BagInvalid(f"not a bag: {error}") from None
    package_path = directory / "data" / PACKAGE_FILE
    if not package_path.is_file():
        raise BagInvalid(f"the bag holds no data/{PACKAGE_FILE}", path=f"data/{PACKAGE_FILE}")
    report = frictionless.validate(str(package_path))
    if not report.valid:
        for task in report.tasks:
            if not task.valid:
                first = task.errors[0] if task.errors else None
                why = first.message if first is not None else "invalid"
                raise BagInvalid(f"data/{task.name}.csv: {why}", path=f"data/{task.name}.csv")
        raise BagInvalid("the data package is not valid")
    return {key: str(value) for key, value in bag.info.items()}
