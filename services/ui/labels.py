"""The labels of the domain's values on the pages, by key: stages, roles, themes, decision
types, refusal codes and the pages' own messages. Each is marked for the catalog with its
context (`N_`) and translated when shown; an unknown key is shown as it is."""

from __future__ import annotations

import gettext

from domain.values import Theme
from services.ui.i18n import Lang, translations


def N_(context: str, message: str) -> tuple[str, str]:
    """Marks a label for the catalog (`pybabel extract -k N_:1c,2`); translated when shown."""
    return context, message


STAGES = {
    "plan": N_("stage", "plan"),
    "act": N_("stage", "act"),
    "evaluate": N_("stage", "evaluate"),
    "learn": N_("stage", "learn"),
}
STATUSES = {"active": N_("status", "active"), "closed": N_("status", "closed")}
OUTCOMES = {
    "adopted": N_("outcome", "adopted"),
    "scaled": N_("outcome", "scaled"),
    "stopped": N_("outcome", "stopped"),
}
ROLES = {
    "programme_manager": N_("role", "programme manager"),
    "resident": N_("role", "resident"),
    "evaluator": N_("role", "evaluator"),
    "integration": N_("role", "integration"),
    "admin": N_("role", "admin"),
    "partner": N_("role", "partner"),
    "system": N_("role", "system"),
    "operator": N_("role", "operator (command line)"),
}
KINDS = {
    "wijk": N_("kind", "district"),
    "buurt": N_("kind", "neighbourhood"),
    "kern": N_("kind", "village core"),
    "dorp": N_("kind", "village"),
}
FINDING_SOURCES = {
    "residents": N_("finding_source", "residents"),
    "professionals": N_("finding_source", "professionals"),
    "data": N_("finding_source", "data"),
}
THEMES = {
    Theme.UPBRINGING.value: N_("theme", "upbringing"),
    Theme.EDUCATION.value: N_("theme", "education"),
    Theme.SOCIAL_FUNCTIONING.value: N_("theme", "social functioning"),
    Theme.WORK_INCOME.value: N_("theme", "work and income"),
    Theme.HEALTH.value: N_("theme", "health"),
    Theme.HOUSING.value: N_("theme", "housing"),
    Theme.SAFETY.value: N_("theme", "safety and crime"),
    Theme.ENERGY_TRANSITION.value: N_("theme", "energy transition"),
    Theme.PHYSICAL_ENVIRONMENT.value: N_("theme", "physical living environment"),
}
# The three agendas the manifest wants connected, each with its themes.
AGENDAS: dict[str, tuple[Theme, ...]] = {
    "social": (
        Theme.UPBRINGING,
        Theme.EDUCATION,
        Theme.SOCIAL_FUNCTIONING,
        Theme.WORK_INCOME,
        Theme.HEALTH,
        Theme.SAFETY,
    ),
    "physical": (Theme.HOUSING, Theme.PHYSICAL_ENVIRONMENT),
    "energy": (Theme.ENERGY_TRANSITION,),
}
AGENDA_NAMES = {
    "social": N_("agenda", "Social agenda"),
    "physical": N_("agenda", "Physical agenda"),
    "energy": N_("agenda", "Energy transition"),
}


DECISIONS = {
    "start": N_("decision", "started"),
    "revise_plan": N_("decision", "plan revised"),
    "endorse_plan": N_("decision", "plan endorsed"),
    "advance": N_("decision", "advanced"),
    "record_finding": N_("decision", "finding recorded"),
    "record_lesson": N_("decision", "lesson recorded"),
    "close": N_("decision", "closed"),
    "stage_due": N_("decision", "act period over"),
    "stage_overdue": N_("decision", "stage overdue"),
    "open_endorsement": N_("decision", "endorsement round opened"),
    "endorse": N_("decision", "endorsed the plan"),
    "object": N_("decision", "objected to the plan"),
    "record_meeting_vote": N_("decision", "residents' meeting vote recorded"),
    "co_sign": N_("decision", "plan co-signed"),
    "endorsement_reached": N_("decision", "endorsement reached"),
    "endorsement_failed": N_("decision", "endorsement not reached"),
    "endorsement_closing": N_("decision", "endorsement round closes in two days"),
    "assign_owner": N_("decision", "responsible manager named"),
    "publish_lesson": N_("decision", "lesson published for other municipalities"),
}
# What an experiment waits for, said as the thing awaited (see `domain.actions`).
AWAITED = {
    "revise_plan": N_("awaited", "a plan"),
    "open_endorsement": N_("awaited", "the plan put to residents"),
    "endorse_plan": N_("awaited", "residents' endorsement of the plan"),
    "endorse": N_("awaited", "residents' votes on the plan"),
    "co_sign": N_("awaited", "a partner's co-signature"),
    "advance": N_("awaited", "the move to the next stage"),
    "record_finding": N_("awaited", "a finding from residents"),
    "record_lesson": N_("awaited", "a lesson of this cycle"),
}
ROUND_STATUSES = {
    "open": N_("round", "open: residents can vote"),
    "reached": N_("round", "reached: residents endorsed the plan"),
    "failed": N_("round", "closed without enough support"),
    "superseded": N_("round", "replaced by a round on the revised plan"),
}
ACTIONS = {
    "revise_plan": N_("action", "Revise the plan"),
    "endorse_plan": N_("action", "Endorse the plan (for residents)"),
    "advance": N_("action", "Move to the next stage"),
    "record_finding": N_("action", "Record a finding"),
    "record_lesson": N_("action", "Record a lesson"),
    "close": N_("action", "Close the experiment"),
    "open_endorsement": N_("action", "Ask residents to endorse the plan"),
    "endorse": N_("action", "I support this plan"),
    "object": N_("action", "I object to this plan"),
    "record_meeting_vote": N_("action", "Record a residents' meeting vote"),
    "co_sign": N_("action", "Co-sign the plan for my organisation"),
    "publish_lesson": N_("action", "Share this lesson"),
}
REASONS = {
    "no_plan": N_("reason", "there is no plan yet"),
    "plan_not_endorsed": N_("reason", "residents have not endorsed the plan yet"),
    "plan_without_indicator": N_("reason", "the plan has no indicator yet"),
    "plan_already_endorsed": N_("reason", "residents already endorsed this plan"),
    "no_resident_finding": N_("reason", "there is no finding from residents in this cycle yet"),
    "no_lesson": N_("reason", "no lesson was recorded in this cycle yet"),
    "invalid_transition": N_("reason", "not possible in this stage"),
    "experiment_closed": N_("reason", "the experiment is closed"),
    "role_not_allowed": N_("reason", "not for your role"),
    "unknown_indicator": N_("reason", "that indicator is not in the plan"),
    "idempotency_key_reused": N_("reason", "this form was already used"),
    "invalid_input": N_("reason", "check what you entered"),
    "concurrent_decision": N_("reason", "someone else decided at the same moment; try again"),
    "decision_pending": N_("reason", "the decision is still being processed; refresh the page"),
    "experiment_busy": N_(
        "reason", "many people are deciding on this experiment right now; try again"
    ),
    "file_too_large": N_("reason", "the file is larger than 10 MB"),
    "unsupported_media_type": N_(
        "reason", "this kind of file is not kept (PDF, photo, CSV, text or an office document)"
    ),
    "evidence_not_found": N_("reason", "that file is not one of this experiment's"),
    "endorsement_by_round": N_("reason", "residents endorse the plan in a round"),
    "endorsement_not_reached": N_(
        "reason", "no endorsement round reached its threshold on this plan yet"
    ),
    "round_already_open": N_("reason", "an endorsement round is open"),
    "no_residents_invited": N_(
        "reason", "no residents are invited to this experiment yet; set a number instead"
    ),
    "closes_on_in_past": N_("reason", "the closing day has passed; choose a later day"),
    "closes_on_too_far": N_("reason", "a round runs at most a year; choose an earlier day"),
    "no_open_round": N_("reason", "no endorsement round is open"),
    "wrong_round": N_("reason", "that round is no longer open"),
    "held_on_in_future": N_("reason", "the meeting has not been held yet"),
    "not_a_co_signer": N_("reason", "the plan does not name your organisation as a co-signer"),
    "already_co_signed": N_("reason", "your organisation already co-signed this plan"),
    "on_behalf_of_required": N_(
        "reason", "say on whose behalf you record what residents said (a meeting, a survey)"
    ),
    "evidence_required": N_(
        "reason", "add the evidence: the minutes, the attendance list or the survey"
    ),
    "lesson_personal": N_(
        "reason", "this lesson is someone's own words and cannot be shared outside the municipality"
    ),
    "lesson_not_of_experiment": N_("reason", "that is not a lesson of this experiment"),
    "supporting_not_of_experiment": N_("reason", "choose findings of this experiment only"),
    "rate_limited": N_("reason", "too many requests; wait a minute and try again"),
}
EVIDENCE_LEVELS = {
    "described": N_("evidence_level", "well described"),
    "substantiated": N_("evidence_level", "well substantiated"),
    "effective": N_("evidence_level", "effective"),
}
EVIDENCE_LEVEL_HINTS = {
    "described": N_("evidence_level_hint", "what was done, with whom and why is written down"),
    "substantiated": N_(
        "evidence_level_hint", "it is explained why it works, resting on findings and sources"
    ),
    "effective": N_("evidence_level_hint", "measured results show that it works"),
}
MESSAGES = {
    "sign_in": N_("message", "Sign in"),
    "forbidden": N_("message", "You do not have access to this page."),
    "not_found": N_("message", "Not found."),
    "bad_csrf": N_("message", "The form has expired. Please try again."),
    "check_field": N_("message", "Check this field"),
    "not_ready": N_("message", "wijklab is still starting. Try again in a few seconds."),
    "too_many_failures": N_("message", "Too many failed attempts. Please try again in a minute."),
    "bad_token": N_("message", "This key is unknown or revoked."),
    "bad_email": N_("message", "Enter an e-mail address, for example name@example.nl."),
    "erased_person": N_("message", "erased person"),
    "keys_not_accepted": N_("message", "Signing in with a key is not possible here."),
    "cannot_sign_in": N_(
        "message", "This key belongs to a linked system; it cannot be used to sign in."
    ),
    "evidence_erased": N_(
        "message", "This file belonged to a person who was erased; it can no longer be read."
    ),
    "unsubscribe_invalid": N_(
        "message", "This unsubscribe link is not valid. Use the link from the mail itself."
    ),
}
FREQUENCIES = {
    "each": N_("frequency", "a mail for each reminder, as it comes"),
    "daily": N_("frequency", "one mail a day with everything (at 7 in the morning)"),
    "none": N_("frequency", "no reminders"),
}

DELIVERY_STATUSES = {
    "pending": N_("delivery", "being sent"),
    "delivered": N_("delivery", "delivered"),
    "failed": N_("delivery", "failed (every attempt)"),
    "gone": N_("delivery", "refused for good (410); subscription stopped"),
    "cancelled": N_("delivery", "not sent (subscription stopped or deleted)"),
}
INVITATION_STANDINGS = {
    "open": N_("invitation", "open"),
    "used": N_("invitation", "used"),
    "expired": N_("invitation", "expired"),
    "revoked": N_("invitation", "withdrawn"),
}
ACCESS_ACTIONS = {
    "history": N_("access", "decision history"),
    "export": N_("access", "export (CSV)"),
    "past_state": N_("access", "past state"),
    "people": N_("access", "list of people"),
    "evidence": N_("access", "evidence (file)"),
}
FIELDS = {
    "role": N_("field", "as"),
    "person.name": N_("field", "name"),
    "person.contact": N_("field", "e-mail address or phone number"),
    "organisation": N_("field", "organisation"),
    "experiment_id": N_("field", "experiment"),
    "expires_days": N_("field", "valid for"),
    "name": N_("field", "name"),
    "municipality": N_("field", "municipality"),
    "issuer": N_("field", "issuer"),
    "client_id": N_("field", "client id"),
    "client_secret": N_("field", "client secret"),
    "role_claim": N_("field", "claim that carries the roles"),
    "map": N_("field", "claim value for each role"),
    "url": N_("field", "receiver's address"),
    "event_types": N_("field", "events"),
}
EVENT_TYPES = {
    "decision.recorded": N_("event", "a decision is recorded"),
    "stage.changed": N_("event", "an experiment moves to another stage"),
    "stage.due": N_("event", "a stage's period is over"),
    "stage.overdue": N_("event", "a stage is overdue"),
    "endorsement.opened": N_("event", "an endorsement round opens"),
    "endorsement.closed": N_("event", "an endorsement round closes"),
    "programme.report_due": N_("event", "a programme's yearly report is due"),
}


class Labels:
    """`t` in the templates: `t.stage("act")` is "uitvoeren" on a Dutch page."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.catalog: gettext.NullTranslations = translations(lang)

    def _pick(self, table: dict[str, tuple[str, str]], key: str | None) -> str:
        if key is None:
            return ""
        found = table.get(key)
        return self.catalog.pgettext(*found) if found else key

    def stage(self, key: str) -> str:
        return self._pick(STAGES, key)

    def status(self, key: str) -> str:
        return self._pick(STATUSES, key)

    def outcome(self, key: str | None) -> str:
        return self._pick(OUTCOMES, key)

    def role(self, key: str) -> str:
        return self._pick(ROLES, key)

    def kind(self, key: str) -> str:
        return self._pick(KINDS, key)

    def finding_source(self, key: str) -> str:
        return self._pick(FINDING_SOURCES, key)

    def theme(self, key: str) -> str:
        return self._pick(THEMES, key)

    def agenda(self, key: str) -> str:
        return self._pick(AGENDA_NAMES, key)

    def decision(self, key: str) -> str:
        return self._pick(DECISIONS, key)

    def action(self, key: str) -> str:
        return self._pick(ACTIONS, key)

    def awaited(self, key: str) -> str:
        return self._pick(AWAITED, key)

    def round_status(self, key: str) -> str:
        return self._pick(ROUND_STATUSES, key)

    def reason(self, key: str) -> str:
        return self._pick(REASONS, key)

    def message(self, key: str) -> str:
        return self._pick(MESSAGES, key)

    def invitation(self, key: str) -> str:
        return self._pick(INVITATION_STANDINGS, key)

    def access(self, key: str) -> str:
        return self._pick(ACCESS_ACTIONS, key)

    def field(self, key: str) -> str:
        return self._pick(FIELDS, key)

    def delivery(self, key: str) -> str:
        return self._pick(DELIVERY_STATUSES, key)

    def frequency(self, key: str) -> str:
        return self._pick(FREQUENCIES, key)

    def event_type(self, key: str) -> str:
        return self._pick(EVENT_TYPES, key)

    def evidence_level(self, key: str) -> str:
        return self._pick(EVIDENCE_LEVELS, key)

    def evidence_level_hint(self, key: str) -> str:
        return self._pick(EVIDENCE_LEVEL_HINTS, key)
