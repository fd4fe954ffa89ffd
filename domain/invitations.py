"""Who may invite whom, for how long, and what an invitation code looks like.

An admin invites anyone of their own municipality; a programme manager invites residents and
partners (the people an experiment is done with), no staff. A code is typed from a printed
letter as often as it is clicked, so it uses letters and digits that cannot be mistaken for
each other, in groups of four: 12 of 32 symbols, 60 bits — with guessing rate limited, more
than enough.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from domain.access import Principal
from domain.errors import InvalidInput, NotAllowed
from domain.values import MAX_SHORT_TEXT, Role, check_visible, text

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
GROUP = 4
DEFAULT_DAYS = 14
MAX_DAYS = 60
LANGUAGES = ("nl", "en")

# Whom each role may invite (nobody else invites at all).
MAY_INVITE: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(
        {Role.RESIDENT, Role.PARTNER, Role.PROGRAMME_MANAGER, Role.EVALUATOR, Role.ADMIN}
    ),
    Role.PROGRAMME_MANAGER: frozenset({Role.RESIDENT, Role.PARTNER}),
}
INVITABLE = frozenset().union(*MAY_INVITE.values())

_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalised_code(value: str) -> str | None:
    """The code as stored (upper case, no dashes or spaces), or None if it cannot be one."""
    if len(value) > 40:
        return None
    plain = re.sub(r"[\s-]", "", value).upper()
    return plain if _CODE.match(plain) else None


def check_inviter(inviter: Principal, role: Role) -> None:
    if role not in MAY_INVITE.get(inviter.role, frozenset()):
        raise NotAllowed(f"a {inviter.role.value} may not invite a {role.value}")
    if inviter.municipality is None:
        raise NotAllowed("invitations are for one municipality")


def parse_invitation(body: dict[str, Any]) -> dict[str, Any]:
    """The fields of a new invitation, checked: role, person {name, contact?},
    organisation? (a partner's, required for them), experiment_id?, expires_days?, language?"""
    raw_role = body.get("role")
    role = next((r for r in INVITABLE if r.value == raw_role), None)
    if role is None:
        allowed = ", ".join(sorted(r.value for r in INVITABLE))
        raise InvalidInput(f"role must be one of: {allowed}", field="role")
    person = body.get("person")
    if not isinstance(person, dict):
        raise InvalidInput("person must be {name, contact?}", field="person")
    name = check_visible(
        text(person.get("name"), "person.name", max_length=MAX_SHORT_TEXT), "person.name"
    )
    contact = text(person.get("contact"), "person.contact", max_length=200, required=False)
    organisation = text(
        body.get("organisation"), "organisation", max_length=MAX_SHORT_TEXT, required=False
    )
    check_visible(organisation, "organisation")
    if role is Role.PARTNER and not organisation:
        raise InvalidInput("a partner is invited with their organisation", field="organisation")
    days = body.get("expires_days", DEFAULT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"expires_days must be a whole number from 1 to {MAX_DAYS}", field="expires_days"
        )
    language = body.get("language", "nl")
    if language not in LANGUAGES:
        raise InvalidInput("language must be nl or en", field="language")
    return {
        "role": role,
        "name": name,
        "contact": contact,
        "organisation": organisation or None,
        "experiment_id": body.get("experiment_id"),
        "expires_days": days,
        "language": language,
    }
