"""Inviting people, and accepting an invitation.

Residents and partners have no account at the municipality's identity provider; they get in
by an invitation: a link by e-mail where there is an address and a mail server, else a
printed letter with the code. The person is registered when invited (their name and contact
sealed as always), so an admin can revoke or erase them like anyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import structlog

from domain.access import Principal
from domain.errors import InvalidInput
from domain.invitations import check_inviter, parse_invitation
from services.app.letters import invitation_mail
from services.app.ports import PeopleDirectory
from services.infra.mail import MailNotSent, MailSender, looks_like_address
from services.stores.invitations import Invitation, InvitationStore

log = structlog.get_logger(__name__)

# The title of an experiment in a municipality, or None when it has none there.
TitleOf = Callable[[UUID, str], str | None]


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    code: str
    url: str
    name: str
    contact: str
    experiment_title: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            **self.invitation.to_dict(),
            "code": self.code,
            "url": self.url,
            "person": {"id": self.invitation.person_id, "name": self.name},
        }


class Inviting:
    def __init__(
        self,
        invitations: InvitationStore,
        people: PeopleDirectory,
        mail: MailSender | None,
        title_of: TitleOf,
        base_url: str,
    ) -> None:
        self.invitations = invitations
        self.people = people
        self.mail = mail
        self.title_of = title_of
        self.base_url = base_url

    def invite(self, inviter: Principal, body: dict[str, object]) -> NewInvitation:
        """Invite someone of the inviter's municipality; nothing is stored when refused."""
        fields = parse_invitation(body)
        check_inviter(inviter, fields["role"])
        municipality = inviter.municipality
        assert municipality is not None  # check_inviter refuses all-municipality callers
        experiment_id, title = self._experiment(fields["experiment_id"], municipality)
        name, contact = fields["name"], fields["contact"]
        person_id = (
            self.people.mention(municipality, name, contact)
            if contact
            else self.people.register(municipality, name)
        )
        invitation, code = self.invitations.create(
            municipality=municipality,
            role=fields["role"],
            person_id=person_id,
            organisation=fields["organisation"],
            experiment_id=experiment_id,
            language=fields["language"],
            expires_in=timedelta(days=fields["expires_days"]),
            invited_by=inviter.actor_id,
            address=contact if looks_like_address(contact) else None,
        )
        url = f"{self.base_url}/invite/{code}"
        if self.mail is not None and looks_like_address(contact):
            try:
                self.mail.send(
                    invitation_mail(
                        invitation.language,
                        contact,
                        name=name,
                        municipality=municipality,
                        role=invitation.role.value,
                        url=url,
                        base_url=self.base_url,
                        code=code,
                        expires_at=invitation.expires_at,
                        experiment_title=title,
                    )
                )
                self.invitations.delivered(invitation.id, "email")
                invitation = self.invitations.get(invitation.id, None) or invitation
            except MailNotSent:
                log.warning("invitation_not_mailed", invitation_id=str(invitation.id))
        log.info("invited", invitation_id=str(invitation.id), role=invitation.role.value)
        return NewInvitation(invitation, code, url, name, contact, title)

    def _experiment(self, raw: object, municipality: str) -> tuple[UUID | None, str | None]:
        if raw is None:
            return None, None
        try:
            experiment_id = UUID(str(raw))
        except ValueError:
            raise InvalidInput("experiment_id must be a UUID", field="experiment_id") from None
        title = self.title_of(experiment_id, municipality)
        if title is None:
            raise InvalidInput(
                f"there is no experiment {experiment_id} in {municipality}", field="experiment_id"
            )
        return experiment_id, title
