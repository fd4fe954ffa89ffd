"""The role a staff sign-in gets comes from the mapped claim alone."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.identity import parse_role_map, role_from_claims
from domain.values import Role

MAP = {"programme_manager": "wijkteam", "admin": "wijklab-beheer", "evaluator": "onderzoek"}


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"roles": ["wijkteam"]}, Role.PROGRAMME_MANAGER),
        ({"roles": "onderzoek"}, Role.EVALUATOR),
        ({"roles": ["wijkteam", "wijklab-beheer"]}, Role.ADMIN),
        ({"roles": ["burgerzaken"]}, None),
        ({"roles": []}, None),
        ({"groups": ["wijkteam"]}, None),
        ({"roles": [{"name": "wijkteam"}]}, None),
        ({}, None),
    ],
)
def test_the_role_comes_from_the_mapped_claim(claims: dict[str, object], role: Role | None) -> None:
    assert role_from_claims(claims, "roles", MAP) is role


@pytest.mark.parametrize(
    "pairs", [[], ["programme_manager"], ["resident=bewoners"], ["system=x"], ["admin="]]
)
def test_only_staff_roles_are_mapped(pairs: list[str]) -> None:
    with pytest.raises(InvalidInput):
        parse_role_map(pairs)


def test_a_map_reads_role_equals_value() -> None:
    assert parse_role_map(["programme_manager=wijkteam", "admin=beheer"]) == {
        "programme_manager": "wijkteam",
        "admin": "beheer",
    }
