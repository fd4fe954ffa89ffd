"""Sending mail: by SMTP in production, into a development outbox otherwise.

`WIJKLAB_SMTP_URL` names the server: `smtp://user:password@host:587` speaks STARTTLS (and
refuses to send when the server does not offer it, unless the server is on this machine),
`smtps://host:465` speaks TLS from the first byte. Without it, `wijklab dev` keeps every
message in the `dev_mail` table and shows it at `/dev/mail`, so invitations and sign-in links
can be followed on one machine; production refuses to pretend it sent anything.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import structlog
from psycopg import sql
from psycopg.rows import dict_row

from services.infra.postgres import Connect, Database

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 15
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class MailNotSent(RuntimeError):
    """The server could not be reached or refused the message."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    # Extra headers, such as List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058).
    headers: tuple[tuple[str, str], ...] = ()


class MailSender(Protocol):
    def send(self, mail: Mail) -> None: ...


def looks_like_address(value: str) -> bool:
    """Whether a contact is an e-mail address (else: a phone number, or nothing)."""
    _, address = parseaddr(value)
    local, _, domain = address.partition("@")
    return bool(local) and "." in domain and " " not in address and address == value.strip()


# Headers up to RFC 5322's limit of 998 characters stay as they are: folded at 78, a long
# List-Unsubscribe address without spaces would be encoded, and mail programs would not
# recognise it.
POLICY = SMTP.clone(max_line_length=998)


def _message(sender: str, mail: Mail) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].partition("@")[2] or None)
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.text)
    return message


class SmtpSender:
    """One connection per message: mail is rare (invitations, sign-in links, reminders)."""

    def __init__(self, url: str, sender: str, *, tls: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("WIJKLAB_SMTP_URL must look like smtp://user:password@host:587")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.tls = tls or ssl.create_default_context()

    def send(self, mail: Mail) -> None:
        try:
            with self._connect() as smtp:
                if self.user is not None:
                    self._login(smtp)
                smtp.send_message(_message(self.sender, mail))
        except (OSError, smtplib.SMTPException) as error:
            raise MailNotSent(f"the mail server did not take the message: {error}") from None
        log.info("mail_sent", server=self.host)

    def _login(self, smtp: smtplib.SMTP) -> None:
        """PLAIN when offered (always under TLS here): one attempt, one clear answer, where
        `login` would go on to try other mechanisms after a refusal."""
        offered = smtp.esmtp_features.get("auth", "").upper().split()
        if "PLAIN" in offered:
            smtp.user, smtp.password = self.user or "", self.password or ""
            smtp.auth("PLAIN", smtp.auth_plain)
        else:
            smtp.login(self.user or "", self.password or "")

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS, context=self.tls)
        smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=self.tls)
            smtp.ehlo()
        elif self.host not in LOOPBACK:
            smtp.close()
            raise MailNotSent(f"{self.host} offers no STARTTLS; mail is not sent in the clear")
        return smtp


class DevOutbox:
    """Development without a mail server: messages kept to be read at `/dev/mail`."""

    def __init__(self, database: Database, sender: str, connect: Connect | None = None) -> None:
        self.table = sql.Identifier(database.schema, "dev_mail")
        self.sender = sender
        self.connect = database.connector(connect)

    def send(self, mail: Mail) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (sender, recipient, subject, body) VALUES (%s, %s, %s, %s)"
                ).format(self.table),
                (self.sender, mail.to, mail.subject, mail.text),
            )
        log.info("mail_kept_for_development")

    def latest(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT id, at, sender, recipient, subject, body FROM {} "
                    "ORDER BY id DESC LIMIT %s"
                ).format(self.table),
                (limit,),
            )
            return cur.fetchall()


def sender_name(name: str, address: str) -> str:
    return formataddr((name, address))
