"""The words of the mail wijklab sends, in Dutch and in English: one template per message
and language in `services/app/mail/`, its subject set in the template itself, dates written
out as people write them (1 december 2026)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.infra.mail import Mail

TEMPLATES = Path(__file__).parent / "mail"
LOCALES = {"nl": "nl_NL", "en": "en_GB"}
ROLE_WORDS = {
    "nl": {
        "resident": "bewoner",
        "partner": "partner",
        "programme_manager": "programmamanager",
        "evaluator": "evaluator",
        "admin": "beheerder",
    },
    "en": {
        "resident": "resident",
        "partner": "partner",
        "programme_manager": "programme manager",
        "evaluator": "evaluator",
        "admin": "administrator",
    },
}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # plain-text mail: nothing is HTML  # noqa: S701
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def written_date(moment: datetime, language: str) -> str:
    return format_date(moment.astimezone(AMSTERDAM).date(), "long", locale=LOCALES[language])


def letter(kind: str, language: str, to: str, **values: Any) -> Mail:
    """The mail `kind` (a template name) in `language`, to `to`."""
    template = _environment().get_template(f"{language}/{kind}.txt")
    module = template.make_module(values)
    subject = str(getattr(module, "subject", "wijklab"))
    return Mail(to=to, subject=subject, text=str(module).lstrip())


def invitation_mail(
    language: str,
    to: str,
    *,
    name: str,
    municipality: str,
    role: str,
    url: str,
    base_url: str,
    code: str,
    expires_at: datetime,
    experiment_title: str | None,
) -> Mail:
    return letter(
        "invitation",
        language,
        to,
        name=name,
        municipality=municipality,
        role=ROLE_WORDS[language].get(role, role),
        url=url,
        base_url=base_url,
        code=code,
        expires=written_date(expires_at, language),
        experiment_title=experiment_title,
    )
