"""Dutch and English for the pages; Dutch unless the visitor chose English or their browser
asks for it."""

from __future__ import annotations

from typing import Literal

from domain.values import THEME_LABELS_NL, Theme

Lang = Literal["nl", "en"]
LANG_COOKIE = "wijklab_lang"

THEMES_EN: dict[Theme, str] = {
    Theme.UPBRINGING: "upbringing",
    Theme.EDUCATION: "education",
    Theme.SOCIAL_FUNCTIONING: "social functioning",
    Theme.WORK_INCOME: "work and income",
    Theme.HEALTH: "health",
    Theme.HOUSING: "housing",
    Theme.SAFETY: "safety and crime",
    Theme.ENERGY_TRANSITION: "energy transition",
    Theme.PHYSICAL_ENVIRONMENT: "physical living environment",
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

TEXT: dict[str, tuple[str, str]] = {
    # (Dutch, English)
    "app": ("wijklab", "wijklab"),
    "tagline": ("Wijkexperimenten als leercycli", "Neighbourhood experiments as learning cycles"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "sign_in": ("Inloggen", "Sign in"),
    "sign_out": ("Uitloggen", "Sign out"),
    "token": ("API-sleutel", "API key"),
    "token_help": (
        "Plak de sleutel die u van de beheerder kreeg (begint met wl_).",
        "Paste the key your administrator gave you (starts with wl_).",
    ),
    "bad_token": ("Deze sleutel is onbekend of ingetrokken.", "This key is unknown or revoked."),
    "too_many_failures": (
        "Te veel mislukte pogingen. Probeer het over een minuut opnieuw.",
        "Too many failed attempts. Please try again in a minute.",
    ),
    "bad_csrf": (
        "Het formulier is verlopen. Probeer het opnieuw.",
        "The form has expired. Please try again.",
    ),
    "forbidden": ("U heeft geen toegang tot deze pagina.", "You do not have access to this page."),
    "not_found": ("Niet gevonden.", "Not found."),
    "not_ready": (
        "wijklab start nog op. Probeer het over een paar seconden opnieuw.",
        "wijklab is still starting. Try again in a few seconds.",
    ),
    "experiments": ("Experimenten", "Experiments"),
    "lessons": ("Lessen", "Lessons"),
    "neighbourhoods": ("Wijken", "Neighbourhoods"),
    "language": ("English", "Nederlands"),
    "signed_in_as": ("Ingelogd als", "Signed in as"),
    "filter": ("Filteren", "Filter"),
    "all": ("alle", "all"),
    "neighbourhood": ("Wijk", "Neighbourhood"),
    "theme": ("Thema", "Theme"),
    "themes": ("Thema's", "Themes"),
    "stage": ("Fase", "Stage"),
    "status": ("Status", "Status"),
    "cycle": ("Cyclus", "Cycle"),
    "title": ("Titel", "Title"),
    "question": ("Leervraag", "Learning question"),
    "residents_agenda": ("Vraag of initiatief van bewoners", "Residents' question or initiative"),
    "residents_agenda_help": (
        "Waar komt dit experiment vandaan? Bewoners hebben de regie.",
        "Where does this experiment come from? Residents lead.",
    ),
    "act_days": ("Looptijd van de uitvoering (dagen)", "Length of the act stage (days)"),
    "code": ("Code (CBS-code of korte naam)", "Code (CBS code or short name)"),
    "name": ("Naam", "Name"),
    "kind": ("Soort", "Kind"),
    "start_experiment": ("Experiment starten", "Start an experiment"),
    "start": ("Starten", "Start"),
    "none_yet": ("Nog geen experimenten.", "No experiments yet."),
    "next_page": ("Volgende pagina", "Next page"),
    "per_stage": ("Actieve experimenten per fase", "Active experiments per stage"),
    "last_decision": ("Laatste besluit", "Last decision"),
    "plan": ("Plan", "Plan"),
    "no_plan_yet": ("Nog geen plan.", "No plan yet."),
    "endorsed": ("Onderschreven door bewoners", "Endorsed by residents"),
    "not_endorsed": ("Nog niet onderschreven door bewoners", "Not yet endorsed by residents"),
    "revision": ("versie", "revision"),
    "indicators": ("Indicatoren", "Indicators"),
    "indicator": ("Indicator", "Indicator"),
    "target": ("Doel", "Target"),
    "measured": ("Gemeten", "Measured"),
    "budget": ("Begroting per geldstroom", "Budget per funding source"),
    "source": ("Bron", "Source"),
    "amount": ("Bedrag (€)", "Amount (€)"),
    "total": ("Totaal", "Total"),
    "findings": ("Bevindingen deze cyclus", "Findings this cycle"),
    "timeline": ("Besluiten", "Decisions"),
    "when": ("Wanneer", "When"),
    "who": ("Wie", "Who"),
    "why": ("Waarom", "Why"),
    "decide_now": ("Nu mogelijk", "Possible now"),
    "not_now": ("Nu niet mogelijk", "Not possible now"),
    "rationale": ("Toelichting (waarom)", "Rationale (why)"),
    "text": ("Tekst", "Text"),
    "value": ("Waarde", "Value"),
    "description": ("Beschrijving", "Description"),
    "outcome": ("Uitkomst", "Outcome"),
    "as_of": ("Zo stond het ervoor op", "As it stood on"),
    "show": ("Tonen", "Show"),
    "back_to_now": ("Terug naar nu", "Back to now"),
    "export_csv": ("Besluiten downloaden (CSV)", "Download decisions (CSV)"),
    "search": ("Zoeken", "Search"),
    "search_lessons": ("Zoek in alle lessen", "Search all lessons"),
    "no_lessons": ("Geen lessen gevonden.", "No lessons found."),
    "in_cycle": ("cyclus", "cycle"),
    "agenda_social": ("Sociale agenda", "Social agenda"),
    "agenda_physical": ("Fysieke agenda", "Physical agenda"),
    "agenda_energy": ("Energietransitie", "Energy transition"),
    "closed": ("Afgesloten", "Closed"),
    "lessons_count": ("Lessen", "Lessons"),
    "decision_taken": ("Besluit vastgelegd.", "Decision recorded."),
    "webhook": ("koppeling", "integration"),
    "timer": ("automatisch (termijn)", "automatic (deadline)"),
    "not_existing_then": (
        "Het experiment bestond toen nog niet.",
        "The experiment did not exist yet.",
    ),
    "check_field": ("Controleer dit veld", "Check this field"),
}

STAGES = {
    "plan": ("plannen", "plan"),
    "act": ("uitvoeren", "act"),
    "evaluate": ("evalueren", "evaluate"),
    "learn": ("leren", "learn"),
}
STATUSES = {"active": ("actief", "active"), "closed": ("afgesloten", "closed")}
OUTCOMES = {
    "adopted": ("overgenomen in beleid", "adopted"),
    "scaled": ("opgeschaald", "scaled"),
    "stopped": ("gestopt", "stopped"),
}
ROLES = {
    "programme_manager": ("programmamanager", "programme manager"),
    "resident": ("bewoner", "resident"),
    "evaluator": ("evaluator", "evaluator"),
    "integration": ("koppeling", "integration"),
    "admin": ("beheerder", "admin"),
    "system": ("systeem", "system"),
}
KINDS = {
    "wijk": ("wijk", "district"),
    "buurt": ("buurt", "neighbourhood"),
    "kern": ("kern", "village core"),
    "dorp": ("dorp", "village"),
}
FINDING_SOURCES = {
    "residents": ("bewoners", "residents"),
    "professionals": ("professionals", "professionals"),
    "data": ("data", "data"),
}
DECISIONS = {
    "start": ("gestart", "started"),
    "revise_plan": ("plan herzien", "plan revised"),
    "endorse_plan": ("plan onderschreven", "plan endorsed"),
    "advance": ("naar volgende fase", "advanced"),
    "record_finding": ("bevinding vastgelegd", "finding recorded"),
    "record_lesson": ("les vastgelegd", "lesson recorded"),
    "close": ("afgesloten", "closed"),
    "stage_due": ("uitvoeringstermijn verstreken", "act period over"),
    "stage_overdue": ("fase over tijd", "stage overdue"),
}
DECISION_ACTIONS = {
    "revise_plan": ("Plan herzien", "Revise the plan"),
    "endorse_plan": ("Plan onderschrijven (namens bewoners)", "Endorse the plan (for residents)"),
    "advance": ("Naar de volgende fase", "Move to the next stage"),
    "record_finding": ("Bevinding vastleggen", "Record a finding"),
    "record_lesson": ("Les vastleggen", "Record a lesson"),
    "close": ("Experiment afsluiten", "Close the experiment"),
}
# The rules' refusal codes, as a person would say them.
REASONS = {
    "no_plan": ("er is nog geen plan", "there is no plan yet"),
    "plan_not_endorsed": (
        "bewoners hebben het plan nog niet onderschreven",
        "residents have not endorsed the plan yet",
    ),
    "plan_without_indicator": (
        "het plan heeft nog geen indicator",
        "the plan has no indicator yet",
    ),
    "plan_already_endorsed": (
        "bewoners hebben dit plan al onderschreven",
        "residents already endorsed this plan",
    ),
    "no_resident_finding": (
        "er is deze cyclus nog geen bevinding van bewoners",
        "there is no finding from residents in this cycle yet",
    ),
    "no_lesson": (
        "er is deze cyclus nog geen les vastgelegd",
        "no lesson was recorded in this cycle yet",
    ),
    "invalid_transition": ("kan niet in deze fase", "not possible in this stage"),
    "experiment_closed": ("het experiment is afgesloten", "the experiment is closed"),
    "role_not_allowed": ("niet voor uw rol", "not for your role"),
    "unknown_indicator": (
        "die indicator staat niet in het plan",
        "that indicator is not in the plan",
    ),
    "idempotency_key_reused": ("dit formulier is al gebruikt", "this form was already used"),
    "invalid_input": ("controleer de invoer", "check what you entered"),
    "concurrent_decision": (
        "iemand anders besloot tegelijk; probeer het opnieuw",
        "someone else decided at the same moment; try again",
    ),
    "decision_pending": (
        "het besluit is nog in behandeling; ververs de pagina",
        "the decision is still being processed; refresh the page",
    ),
}


def negotiate(cookie: str | None, accept_language: str | None) -> Lang:
    if cookie in ("nl", "en"):
        return cookie  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("nl"):
            return "nl"
        if tag.startswith("en"):
            return "en"
    return "nl"


class Translator:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.index = 0 if lang == "nl" else 1

    def __call__(self, key: str) -> str:
        return TEXT[key][self.index] if key in TEXT else key

    def _pick(self, table: dict[str, tuple[str, str]], key: str | None) -> str:
        if key is None:
            return ""
        return table[key][self.index] if key in table else key

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

    def decision(self, key: str) -> str:
        return self._pick(DECISIONS, key)

    def action(self, key: str) -> str:
        return self._pick(DECISION_ACTIONS, key)

    def reason(self, key: str) -> str:
        return self._pick(REASONS, key)

    def theme(self, key: str) -> str:
        try:
            theme = Theme(key)
        except ValueError:
            return key
        return THEME_LABELS_NL[theme] if self.lang == "nl" else THEMES_EN[theme]
