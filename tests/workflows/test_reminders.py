"""Reminders by e-mail, end to end below the API: the outbox reads them off recorded
decisions, a Temporal workflow per reminder mails them through a real SMTP server (STARTTLS,
a login), time skipped for the daily digest. A plan waiting for endorsement reaches the
residents invited for the experiment, not an erased one and not one who was never there; a
plan endorsed before its reminder went is not mailed; an act period that is over reaches the
programme manager; a digest gathers a day's reminders into one mail at seven."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.decisions import RULES_ROUNDS
from domain.reminders import Frequency
from domain.values import Actor, Role
from projections.outbox import run_outbox
from services.app.reminding import Reminding, UnsubscribeLinks
from services.infra.event_store import Experiments
from services.infra.mail import SmtpSender
from services.infra.migrations import migrate
from services.infra.postgres import Database
from services.stores.invitations import InvitationStore
from services.stores.people import People
from services.stores.reminders import MailPreferences, ReminderLog
from tests.builders import PLAN, decision, round_closing_on, start
from tests.mail_server import MailServer, running
from tests.workflows.conftest import EXECUTOR
from workflows.reminder import reminder_workflow_id
from workflows.reminder_activities import ReminderActivities, TemporalReminders
from workflows.worker import build_worker

# Set by `make histories` to keep a digest's history for the replay tests.
RECORDING = os.environ.get("WIJKLAB_RECORD_HISTORY")
RECORD_TO: Path | None = Path(RECORDING) if RECORDING else None


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[MailServer]:
    yield from running(tmp_path)


class Town:
    """One municipality's people, invitations and reminders on a real database."""

    def __init__(self, database: Database, smtp: MailServer) -> None:
        migrate(database)
        self.database = database
        self.people = People(database, b"l" * 32)
        self.invitations = InvitationStore(database, b"c" * 32)
        self.reminders = ReminderLog(database)
        self.preferences = MailPreferences(database)
        self.reminding = Reminding(
            self.reminders,
            self.preferences,
            self.people,
            SmtpSender(smtp.url, "wijklab <wijklab@gemeente.test>", tls=smtp.trust),
            UnsubscribeLinks(b"u" * 32),
            "https://wijklab.test",
        )
        self.handed: list[uuid.UUID] = []
        self.lock = threading.Lock()

    def person(self, name: str, address: str, role: Role) -> Actor:
        return Actor(self.people.register("utrecht", name, address), role, name)

    def invite(self, who: Actor, experiment_id: uuid.UUID, *, accept: bool = True) -> None:
        _, code = self.invitations.create(
            municipality="utrecht",
            role=who.role,
            person_id=who.id,
            organisation=None,
            experiment_id=experiment_id,
            language="nl",
            expires_in=timedelta(days=14),
            invited_by="prs_" + "0" * 32,
        )
        if accept:
            assert self.invitations.accept(code) is not None

    def remind(self, ids: Sequence[uuid.UUID]) -> None:
        with self.lock:
            self.handed.extend(ids)
        self.reminders.mark_dispatched(ids)

    def reminders_of(self, experiments: Experiments, count: int) -> list[uuid.UUID]:
        """Run the outbox until it has handed over `count` reminders; their ids."""
        stop = threading.Event()
        thread = threading.Thread(
            target=run_outbox,
            args=(self.database, lambda ids: None, stop, self.remind),
            daemon=True,
        )
        thread.start()
        target = experiments.max_position()
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                if len(self.handed) >= count and self._outbox_at() >= target:
                    break
                time.sleep(0.05)
            time.sleep(0.3)  # and no more come
        finally:
            stop.set()
            thread.join(timeout=20)
        with self.lock:
            made, self.handed = list(self.handed), []
        assert len(made) == count, made
        return made

    def _outbox_at(self) -> int:
        with self.database.connect() as conn:
            found = conn.execute(
                "SELECT to_regclass(%s)", (f"{self.database.schema}.outbox_tracking",)
            ).fetchone()
            if not found or found[0] is None:
                return 0  # the outbox has not made its table yet
            row = conn.execute(
                f"SELECT max(notification_id) FROM {self.database.schema}.outbox_tracking"
            ).fetchone()
        return int(row[0] or 0) if row else 0


@pytest.fixture
def town(database: Database, smtp: MailServer) -> Town:
    return Town(database, smtp)


async def send(
    env: WorkflowEnvironment, town: Town, ids: Sequence[uuid.UUID], *, record: bool = False
) -> list[str]:
    task_queue = f"reminders-{uuid.uuid4().hex[:8]}"
    worker = build_worker(
        env.client,
        Experiments.open(town.database),
        task_queue=task_queue,
        executor=EXECUTOR,
        threads=4,
        reminders=ReminderActivities(town.reminding),
    )
    starter = TemporalReminders(env.client, asyncio.get_running_loop(), town.reminders, task_queue)
    async with worker:
        handles: list[WorkflowHandle[Any, str]] = []
        for reminder_id in ids:
            handle = await starter.start(str(reminder_id))
            assert handle is not None
            assert handle.id == reminder_workflow_id(str(reminder_id))
            assert await starter.start(str(reminder_id)) is None, "one workflow per reminder"
            handles.append(handle)
        results = [await handle.result() for handle in handles]
        if record and RECORD_TO is not None:
            history = await handles[0].fetch_history()
            RECORD_TO.write_text(history.to_json())
    return results


def texts(smtp: MailServer, address: str) -> list[Message]:
    return smtp.inbox.to(address)


async def test_each_reminder_reaches_the_people_it_concerns_and_no_one_else(
    time_skipping: WorkflowEnvironment, town: Town, experiments: Experiments, smtp: MailServer
) -> None:
    pm = town.person("Petra de Vries", "petra@gemeente.test", Role.PROGRAMME_MANAGER)
    fatima = town.person("Fatima el Amrani", "fatima@example.nl", Role.RESIDENT)
    erased = town.person("Joke Zonneveld", "joke@example.nl", Role.RESIDENT)
    never = town.person("Kees Nooit", "kees@example.nl", Role.RESIDENT)
    eid = uuid.uuid4()
    experiments.start(start(pm, title="Speeltuin aan de Zambesidreef"), experiment_id=eid)
    town.invite(fatima, eid)
    town.invite(erased, eid)
    town.invite(never, eid, accept=False)
    town.people.forget(erased.id, "admin")

    experiments.decide(eid, decision("revise_plan", pm, **PLAN))
    plan = town.reminders_of(experiments, 2)  # Fatima and the erased resident
    assert sorted(await send(time_skipping, town, plan)) == ["sent", "skipped"]

    [mail] = texts(smtp, "fatima@example.nl")
    assert mail["Subject"] == "Een plan wacht op u: Speeltuin aan de Zambesidreef"
    body = smtp.inbox.body(mail)
    assert f"https://wijklab.test/experiments/{eid}" in body
    unsubscribe = smtp.inbox.link("fatima@example.nl", "/unsubscribe/")
    assert mail["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert town.reminding.links.person_of(unsubscribe.rsplit("/", 1)[1]) == fatima.id
    assert texts(smtp, "joke@example.nl") == [], "an erased person gets nothing"
    assert texts(smtp, "kees@example.nl") == [], "an invitation never accepted follows nothing"
    assert texts(smtp, "petra@gemeente.test") == [], "the one who revised the plan knows"

    # A plan endorsed before its reminder went is not mailed.
    experiments.decide(eid, decision("revise_plan", pm, **{**PLAN, "description": "Nog beter"}))
    again = town.reminders_of(experiments, 2)  # the erased resident's is made, not sent
    experiments.decide(eid, decision("endorse_plan", fatima, rationale="bewonersavond"))
    town.reminders_of(experiments, 0)  # the outbox reads the endorsement
    assert await send(time_skipping, town, again) == ["settled", "settled"]
    assert len(texts(smtp, "fatima@example.nl")) == 1

    # The act period is over: the programme manager hears it, the resident does not.
    experiments.decide(eid, decision("advance", pm, to="act"))
    experiments.decide(eid, decision("stage_due", Actor("timer", Role.SYSTEM, "timer")))
    due = town.reminders_of(experiments, 1)
    assert await send(time_skipping, town, due) == ["sent"]
    [over] = texts(smtp, "petra@gemeente.test")
    assert over["Subject"] == "Uitvoering voorbij: Speeltuin aan de Zambesidreef"
    assert len(texts(smtp, "fatima@example.nl")) == 1


async def test_a_daily_digest_gathers_the_reminders_into_one_mail_at_seven(
    time_skipping: WorkflowEnvironment, town: Town, experiments: Experiments, smtp: MailServer
) -> None:
    pm = town.person("Bram Bos", "bram@gemeente.test", Role.PROGRAMME_MANAGER)
    town.preferences.choose(pm.id, Frequency.DAILY, "en")
    timer = Actor("timer", Role.SYSTEM, "timer")
    titles = ["Samen warm de winter door", "Buurtmoestuin Overvecht"]
    for title in titles:
        eid = uuid.uuid4()
        experiments.start(start(pm, title=title), experiment_id=eid)
        experiments.decide(eid, decision("revise_plan", pm, **PLAN))
        experiments.decide(
            eid, decision("endorse_plan", Actor("res-1", Role.RESIDENT), rationale="ja")
        )
        experiments.decide(eid, decision("advance", pm, to="act"))
        experiments.decide(eid, decision("stage_due", timer))
    held = town.reminders_of(experiments, 2)
    results = await send(time_skipping, town, held, record=True)
    assert sorted(results) == ["nothing", "sent"], "one of the two sends the digest"
    [digest] = texts(smtp, "bram@gemeente.test")
    assert digest["Subject"] == "wijklab: 2 reminders for today"
    body = smtp.inbox.body(digest)
    assert all(title in body for title in titles)
    assert {r.status for r in town.reminders.of_person(pm.id)} == {"sent"}


async def test_someone_who_unsubscribed_gets_nothing(
    time_skipping: WorkflowEnvironment, town: Town, experiments: Experiments, smtp: MailServer
) -> None:
    pm = town.person("Els Evers", "els@gemeente.test", Role.PROGRAMME_MANAGER)
    token = town.reminding.links.token(pm.id)
    assert town.reminding.unsubscribe(token) is True
    assert town.reminding.unsubscribe(token) is False, "the second time changes nothing"
    eid = uuid.uuid4()
    experiments.start(start(pm), experiment_id=eid)
    experiments.decide(eid, decision("revise_plan", pm, **PLAN))
    experiments.decide(eid, decision("endorse_plan", Actor("res-1", Role.RESIDENT), rationale="ja"))
    experiments.decide(eid, decision("advance", pm, to="act"))
    experiments.decide(eid, decision("stage_due", Actor("timer", Role.SYSTEM, "timer")))
    assert await send(time_skipping, town, town.reminders_of(experiments, 1)) == ["skipped"]
    assert texts(smtp, "els@gemeente.test") == []


async def test_residents_hear_of_a_round_and_those_who_did_not_vote_two_days_before_it_closes(
    time_skipping: WorkflowEnvironment, town: Town, experiments: Experiments, smtp: MailServer
) -> None:
    pm = town.person("Sanne Smit", "sanne@gemeente.test", Role.PROGRAMME_MANAGER)
    ans = town.person("Ans Bakker", "ans@example.nl", Role.RESIDENT)
    bert = town.person("Bert Jansen", "bert@example.nl", Role.RESIDENT)
    erased = town.person("Joke Zonneveld", "joke.z@example.nl", Role.RESIDENT)
    town.preferences.choose(bert.id, Frequency.EACH, "en")
    eid = uuid.uuid4()
    begun = start(pm, title="Bankjes op het plein")
    experiments.start(
        replace(begun, payload={**begun.payload, "rules": RULES_ROUNDS}), experiment_id=eid
    )
    for resident in (ans, bert, erased):
        town.invite(resident, eid)
    town.people.forget(erased.id, "admin")
    experiments.decide(eid, decision("revise_plan", pm, **PLAN))
    # Written, not yet put to residents: no one is asked (the round's opening asks them).
    town.reminders_of(experiments, 0)
    closes_on = round_closing_on(10)
    experiments.decide(
        eid, decision("open_endorsement", pm, closes_on=closes_on, threshold={"count": 2})
    )
    opened = town.reminders_of(experiments, 3)
    assert sorted(await send(time_skipping, town, opened)) == ["sent", "sent", "skipped"]
    experiments.decide(eid, decision("endorse", ans, comment="ja"))
    timer = Actor("timer", Role.SYSTEM, "timer")
    closing_soon = decision(
        "endorsement_closing",
        timer,
        round=1,
        endorsements=1,
        needed=2,
        closes_on=closes_on,
        voted=[ans.id],
    )
    experiments.decide(eid, closing_soon)
    # Bert has not voted (and hears it), Ans has (and does not); the erased resident never.
    closing = town.reminders_of(experiments, 2)
    assert sorted(await send(time_skipping, town, closing)) == ["sent", "skipped"]
    [english] = [m for m in texts(smtp, "bert@example.nl") if "Two days" in m["Subject"]]
    assert english["Subject"] == "Two days left to vote: Bankjes op het plein"
    written = format_date(date.fromisoformat(closes_on), "long", locale="en_GB")
    assert written in smtp.inbox.body(english)
    assert len(texts(smtp, "ans@example.nl")) == 1, "the round's opening, not its closing"
    assert texts(smtp, "joke.z@example.nl") == [], "an erased person gets nothing"

    # A round closed before its reminder went: the reminder is settled, not sent.
    experiments.decide(eid, decision("revise_plan", pm, **{**PLAN, "description": "Met bankjes"}))
    again = town.reminders_of(experiments, 3)
    experiments.decide(eid, decision("endorse", ans))
    experiments.decide(eid, decision("endorse", bert))
    experiments.decide(
        eid, decision("endorsement_reached", timer, round=2, endorsements=2, needed=2)
    )
    town.reminders_of(experiments, 0)
    assert await send(time_skipping, town, again) == ["settled", "settled", "settled"]
