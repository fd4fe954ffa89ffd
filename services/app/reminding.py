"""Mailing reminders: one as it comes, or held for a person's daily digest; and leaving them
by the unsubscribe link in every reminder.

The address is looked up only now, when the mail goes: an erased person, someone without an
e-mail address, or someone who chose no reminders gets nothing, and the reminder is ended as
skipped. Each mail carries an unsubscribe link that works without signing in (a keyed hash
of the person's pseudonymous id), also as the one-click `List-Unsubscribe-Post` of RFC 8058.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Protocol
from uuid import UUID

import structlog

from domain.errors import InvalidInput
from domain.people import is_person_id
from domain.reminders import Frequency, next_digest
from services.app.letters import letter, written_date
from services.infra.mail import Mail, MailSender, looks_like_address
from services.stores.people import Person
from services.stores.reminders import (
    DIGEST,
    PENDING,
    SENT,
    SKIPPED,
    MailPreferences,
    Reminder,
    ReminderLog,
)

log = structlog.get_logger(__name__)

LANGUAGES = ("nl", "en")
STAGE_WORDS = {
    "nl": {"plan": "plannen", "act": "doen", "evaluate": "evalueren", "learn": "leren"},
    "en": {"plan": "plan", "act": "act", "evaluate": "evaluate", "learn": "learn"},
}


class _People(Protocol):
    def find(self, person_id: str) -> Person | None: ...


@dataclass(frozen=True)
class Outcome:
    """How sending one reminder went: `sent`, `skipped`, held for the `digest` (and when
    that goes), or the status it had already."""

    status: str
    person_id: str | None = None
    digest_at: datetime | None = None


class InvalidUnsubscribeLink(InvalidInput):
    code = "invalid_link"


class UnsubscribeLinks:
    """`<person id>.<keyed hash>`: only this installation can make one, and it names no one
    but by pseudonymous id."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def token(self, person_id: str) -> str:
        digest = hmac.new(self.key, b"unsubscribe\x00" + person_id.encode(), hashlib.sha256)
        mac = base64.urlsafe_b64encode(digest.digest()[:18]).decode()
        return f"{person_id}.{mac}"

    def person_of(self, token: str) -> str:
        person_id, _, _ = token.partition(".")
        if not is_person_id(person_id) or not hmac.compare_digest(self.token(person_id), token):
            raise InvalidUnsubscribeLink("this unsubscribe link is not valid", field="token")
        return person_id


class Reminding:
    def __init__(
        self,
        reminders: ReminderLog,
        preferences: MailPreferences,
        people: _People,
        mail: MailSender | None,
        links: UnsubscribeLinks,
        base_url: str,
    ) -> None:
        self.reminders = reminders
        self.preferences = preferences
        self.people = people
        self.mail = mail
        self.links = links
        self.base_url = base_url.rstrip("/")

    # --- sending -----------------------------------------------------------------------

    def send(self, reminder_id: UUID, now: datetime | None = None) -> Outcome:
        """Mail one reminder now, or hold it for the person's digest."""
        reminder = self.reminders.get(reminder_id)
        if reminder is None:
            return Outcome("missing")
        if reminder.status not in (PENDING, DIGEST):
            return Outcome(reminder.status, reminder.person_id)
        preference = self.preferences.of(reminder.person_id)
        address = self._address(reminder.person_id)
        if preference.frequency is Frequency.NONE or address is None or self.mail is None:
            self.reminders.finish(reminder_id, SKIPPED)
            log.info("reminder_skipped", reminder_id=str(reminder_id), kind=reminder.kind)
            return Outcome(SKIPPED, reminder.person_id)
        if preference.frequency is Frequency.DAILY:
            self.reminders.hold_for_digest(reminder_id)
            return Outcome(DIGEST, reminder.person_id, next_digest(now or datetime.now(UTC)))
        language = preference.language or "nl"
        self.mail.send(self._mail("reminder", language, address, reminder.person_id, [reminder]))
        self.reminders.finish(reminder_id, SENT)
        log.info(
            "reminder_sent",
            reminder_id=str(reminder_id),
            kind=reminder.kind,
            experiment_id=str(reminder.experiment_id),
        )
        return Outcome(SENT, reminder.person_id)

    def send_digest(self, person_id: str, claimant: str) -> str:
        """One mail with every reminder held for the person; `claimant` (the workflow that
        sends it) makes a repeated attempt take the same reminders and no one else's."""
        held = self.reminders.claim_digest(person_id, claimant)
        if not held:
            return "nothing"
        preference = self.preferences.of(person_id)
        address = self._address(person_id)
        if preference.frequency is Frequency.NONE or address is None or self.mail is None:
            self.reminders.finish_claimed(claimant, SKIPPED)
            return SKIPPED
        language = preference.language or "nl"
        self.mail.send(self._mail("digest", language, address, person_id, held))
        self.reminders.finish_claimed(claimant, SENT)
        log.info("reminder_digest_sent", reminders=len(held))
        return SENT

    def _address(self, person_id: str) -> str | None:
        person = self.people.find(person_id)
        if person is None or person.erased_at is not None:
            return None
        return person.contact if looks_like_address(person.contact) else None

    def _mail(
        self, kind: str, language: str, to: str, person_id: str, reminders: list[Reminder]
    ) -> Mail:
        unsubscribe = f"{self.base_url}/unsubscribe/{self.links.token(person_id)}"
        made = letter(
            kind,
            language,
            to,
            items=[self._item(r, language) for r in reminders],
            unsubscribe_url=unsubscribe,
            settings_url=f"{self.base_url}/settings/mail",
        )
        return Mail(
            to=made.to,
            subject=made.subject,
            text=made.text,
            headers=(
                ("List-Unsubscribe", f"<{unsubscribe}>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ),
        )

    def _item(self, reminder: Reminder, language: str) -> dict[str, Any]:
        data = reminder.data
        at = datetime.fromisoformat(str(data.get("at") or reminder.created_at.isoformat()))
        return {
            "kind": reminder.kind,
            "title": data.get("title") or "",
            "stage": STAGE_WORDS[language].get(str(data.get("stage")), str(data.get("stage"))),
            "date": written_date(at, language),
            # The last day to vote, as a day (noon of it, so every time zone agrees).
            "closes_on": written_date(
                datetime.combine(date.fromisoformat(str(data["closes_on"])), time(12), UTC),
                language,
            )
            if data.get("closes_on")
            else "",
            "url": f"{self.base_url}/experiments/{reminder.experiment_id}",
        }

    # --- leaving -------------------------------------------------------------------------

    def unsubscribe(self, token: str) -> bool:
        """Stop every reminder for the link's person; False if they had stopped them before."""
        person_id = self.links.person_of(token)
        if self.preferences.of(person_id).frequency is Frequency.NONE:
            return False
        self.preferences.choose(person_id, Frequency.NONE)
        log.info("reminders_unsubscribed")
        return True
