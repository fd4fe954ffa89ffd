"""The privacy guide's table of who reads what is the code's role matrix, cell for cell."""

from __future__ import annotations

import re
from pathlib import Path

from domain.access import PERMISSIONS, Permission
from domain.values import Role

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
COLUMNS = {
    "resident": Role.RESIDENT,
    "programme manager": Role.PROGRAMME_MANAGER,
    "evaluator": Role.EVALUATOR,
    "partner": Role.PARTNER,
    "integration": Role.INTEGRATION,
    "admin": Role.ADMIN,
}


def documented() -> dict[Permission, frozenset[Role]]:
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| permission |"))
    names = [cell.strip() for cell in lines[header].strip("|").split("|")]
    table: dict[Permission, frozenset[Role]] = {}
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        permission = Permission(re.fullmatch(r"`(\w+)`", cells[0]).group(1))  # type: ignore[union-attr]
        allowed = {COLUMNS[name] for name, cell in zip(names, cells, strict=True) if cell == "yes"}
        assert all(
            cell in ("yes", "no")
            for name, cell in zip(names, cells, strict=True)
            if name in COLUMNS
        )
        table[permission] = frozenset(allowed)
    return table


def test_the_guide_and_the_code_give_every_role_the_same_permissions() -> None:
    assert documented() == PERMISSIONS


def test_integrations_read_nothing_and_do_not_sign_in() -> None:
    assert [p for p, roles in PERMISSIONS.items() if Role.INTEGRATION in roles] == []
