"""Dutch and English for the pages, from gettext catalogs.

The source texts are English; `locale/nl/LC_MESSAGES/messages.po` holds the Dutch, compiled by
Babel in memory as the process starts (no compiled file to keep in step). Templates translate
with `jinja2.ext.i18n` (`{{ _("…") }}`); the labels of the domain's values (stages, roles,
themes, refusal codes …) are looked up here by key, each with its context.

Dutch unless the visitor chose English (the language link sets a cookie) or their browser
prefers it (`Accept-Language`, with its q-values).
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Literal

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Lang = Literal["nl", "en"]
LANGUAGES: tuple[Lang, ...] = ("nl", "en")
DEFAULT: Lang = "nl"
LANG_COOKIE = "wijklab_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of a language (English, the source, translates to itself)."""
    return _compiled(lang) if lang != "en" else gettext.NullTranslations()


@lru_cache(maxsize=len(LANGUAGES))
def _compiled(lang: str) -> gettext.GNUTranslations:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate(cookie: str | None, accept_language: str | None) -> Lang:
    """The visitor's choice, else the language their browser prefers most, else Dutch."""
    if cookie in LANGUAGES:
        return cookie
    chosen = negotiate_locale(preferred(accept_language), LANGUAGES, sep="-")
    return chosen if chosen in LANGUAGES else DEFAULT


def preferred(accept_language: str | None) -> list[str]:
    """The tags of an Accept-Language header, most preferred first (q=0 means "not this")."""
    weighted: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            weighted.append((-q, n, tag.strip().lower()))
    # A regional tag (nl-BE) asks for its language too, right after itself.
    return [t for _, _, tag in sorted(weighted) for t in dict.fromkeys((tag, tag.split("-")[0]))]
