"""Which role a sign-in through a municipality's identity provider gets: the value of a
claim (`roles`, `groups` …) mapped to wijklab's roles. No mapped value, no role — and no
session: who may do what is the municipality's decision, made in its own directory."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.errors import InvalidInput
from domain.values import Role

# Staff roles a provider may hand out; residents and partners come in by invitation.
STAFF_ROLES = (Role.PROGRAMME_MANAGER, Role.EVALUATOR, Role.ADMIN)
# Checked in this order, so someone in both groups gets the wider role.
PRECEDENCE = (Role.ADMIN, Role.PROGRAMME_MANAGER, Role.EVALUATOR)
PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_provider_name(name: str) -> str:
    if not PROVIDER_NAME.match(name):
        raise InvalidInput(
            "a provider's name is 1 to 63 lower-case letters, digits or dashes", field="name"
        )
    return name


def parse_role_map(pairs: list[str]) -> dict[str, str]:
    """`ROLE=CLAIM_VALUE` pairs, as given on the command line."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        role, sep, value = pair.partition("=")
        if not sep or not value.strip():
            raise InvalidInput(f"{pair!r} is not ROLE=CLAIM_VALUE", field="map")
        if role not in {r.value for r in STAFF_ROLES}:
            allowed = ", ".join(r.value for r in STAFF_ROLES)
            raise InvalidInput(f"a provider maps only staff roles: {allowed}", field="map")
        mapping[role] = value.strip()
    if not mapping:
        raise InvalidInput("map at least one role: --map programme_manager=…", field="map")
    return mapping


def role_from_claims(
    claims: Mapping[str, Any], claim: str, mapping: Mapping[str, str]
) -> Role | None:
    """The role the claim's values map to, or None."""
    raw = claims.get(claim)
    values = (
        {raw}
        if isinstance(raw, str)
        else {v for v in raw if isinstance(v, str)}
        if isinstance(raw, list)
        else set()
    )
    for role in PRECEDENCE:
        wanted = mapping.get(role.value)
        if wanted is not None and wanted in values:
            return role
    return None
