"""Who may do what, for which municipality: the permissions of each role, and the caller.

Which decision types each role may take is `domain.rules.ROLE_MATRIX`; this is the rest of
the role matrix (reading, starting, managing keys and people).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from domain.errors import InvalidInput
from domain.values import Role

ALL_MUNICIPALITIES = "*"


class Permission(StrEnum):
    SIGN_IN = "sign_in"
    READ = "read"
    READ_PAST_STATE = "read_past_state"
    START_EXPERIMENT = "start_experiment"
    DECIDE = "decide"
    INVITE = "invite"
    MANAGE_KEYS = "manage_keys"
    MANAGE_PEOPLE = "manage_people"


# The role matrix, in one place, for the API and the pages alike; `docs/privacy.md` shows it
# as a table and a test holds the two together. Which decision types each role may take is
# the domain's business (`domain.rules.ROLE_MATRIX`). Integrations act only through signed
# webhooks: their keys read nothing and do not sign in.
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.SIGN_IN: frozenset(
        {Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.EVALUATOR, Role.ADMIN, Role.PARTNER}
    ),
    Permission.READ: frozenset(
        {Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.EVALUATOR, Role.PARTNER}
    ),
    Permission.READ_PAST_STATE: frozenset({Role.EVALUATOR, Role.PROGRAMME_MANAGER}),
    Permission.START_EXPERIMENT: frozenset({Role.PROGRAMME_MANAGER, Role.RESIDENT}),
    Permission.DECIDE: frozenset({Role.PROGRAMME_MANAGER, Role.RESIDENT, Role.PARTNER}),
    # Whom each may invite is `domain.invitations.MAY_INVITE`.
    Permission.INVITE: frozenset({Role.ADMIN, Role.PROGRAMME_MANAGER}),
    Permission.MANAGE_KEYS: frozenset({Role.ADMIN}),
    Permission.MANAGE_PEOPLE: frozenset({Role.ADMIN}),
}

KEY_ROLES = (
    Role.PROGRAMME_MANAGER,
    Role.RESIDENT,
    Role.EVALUATOR,
    Role.INTEGRATION,
    Role.ADMIN,
    Role.PARTNER,
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role, municipality (None: every one), name and the
    pseudonymous person behind a person's key (None for integrations and older keys)."""

    key_id: UUID
    role: Role
    municipality: str | None
    name: str
    person_id: str | None = None
    # The person's own sealing key, read with the key itself: a decision of theirs is then
    # sealed without looking it up again. Never shown, never compared.
    person_key: bytes | None = field(default=None, repr=False, compare=False)
    # A partner's organisation (housing corporation, welfare, police, school).
    organisation: str | None = None

    @property
    def actor_id(self) -> str:
        """The id decisions record: the person where there is one, else the key."""
        return self.person_id or str(self.key_id)

    @property
    def known_keys(self) -> dict[str, bytes]:
        """The sealing keys this request already holds, by person id."""
        if self.person_id is None or self.person_key is None:
            return {}
        return {self.person_id: self.person_key}

    def may(self, permission: Permission) -> bool:
        return self.role in PERMISSIONS[permission]

    def sees(self, municipality: str) -> bool:
        return self.municipality is None or self.municipality == municipality


def check_municipality(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 100:
        raise InvalidInput("municipality must be 1 to 100 characters", field="municipality")
    return value
