"""Mail reaches a real SMTP server over STARTTLS with a login; a server that cannot be
reached, or a wrong password, is an error the caller sees, never a silent loss."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.infra.mail import Mail, MailNotSent, SmtpSender, looks_like_address
from tests.mail_server import MailServer, running


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    yield from running(Path(tmp_path_factory.mktemp("smtp")))


def test_a_message_arrives_over_starttls(smtp: MailServer) -> None:
    sender = SmtpSender(smtp.url, "wijklab <noreply@utrecht.nl>", tls=smtp.trust)
    sender.send(Mail("ans@example.nl", "Uitnodiging", "Welkom bij wijklab.\nDoe mee: ü"))
    [message] = smtp.inbox.to("ans@example.nl")
    assert message["Subject"] == "Uitnodiging"
    assert message["From"] == "wijklab <noreply@utrecht.nl>"
    assert "Doe mee: ü" in smtp.inbox.body(message)


def test_a_wrong_password_or_no_server_is_an_error(smtp: MailServer) -> None:
    wrong = SmtpSender(smtp.url.replace("geheim", "fout"), "noreply@utrecht.nl", tls=smtp.trust)
    with pytest.raises(MailNotSent):
        wrong.send(Mail("ans@example.nl", "x", "y"))
    nobody = SmtpSender("smtp://localhost:9", "noreply@utrecht.nl")
    with pytest.raises(MailNotSent):
        nobody.send(Mail("ans@example.nl", "x", "y"))
    untrusted = SmtpSender(smtp.url, "noreply@utrecht.nl")  # the test certificate is not trusted
    with pytest.raises(MailNotSent):
        untrusted.send(Mail("ans@example.nl", "x", "y"))


@pytest.mark.parametrize(
    ("contact", "is_address"),
    [
        ("ans@example.nl", True),
        ("06-12345678", False),
        ("", False),
        ("ans@localhost", False),
        ("Ans <ans@example.nl>", False),
        ("ans @example.nl", False),
    ],
)
def test_which_contacts_are_mail_addresses(contact: str, is_address: bool) -> None:
    assert looks_like_address(contact) is is_address
