"""Coming back by mail: a person who once accepted an invitation for an address asks for a
sign-in link, and gets one per person that address belongs to. The caller answers the same
whether or not the address is known; this runs after that answer has gone out."""

from __future__ import annotations

import structlog

from services.app.letters import letter
from services.infra.mail import MailNotSent, MailSender
from services.stores.invitations import InvitationStore
from services.stores.sign_in_links import LinkHolder, SignInLinks

log = structlog.get_logger(__name__)


def send_sign_in_links(
    address: str,
    *,
    language: str,
    invitations: InvitationStore,
    links: SignInLinks,
    mail: MailSender | None,
    base_url: str,
) -> int:
    """Mail a link to each person this address belongs to; how many were sent."""
    if mail is None:
        return 0
    sent = 0
    for person in invitations.returning(address):
        token = links.issue(
            LinkHolder(person.person_id, person.role, person.municipality, person.organisation)
        )
        try:
            mail.send(
                letter("sign_in_link", language, address, url=f"{base_url}/sign-in/email/{token}")
            )
            sent += 1
        except MailNotSent:
            log.warning("sign_in_link_not_mailed", person_id=person.person_id)
    log.info("sign_in_links_sent", count=sent)
    return sent
