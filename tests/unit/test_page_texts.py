"""The pages' texts: every text in a template or a label table has its Dutch in the catalog,
languages are negotiated by q-value, and numbers, money and dates read the Dutch way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from domain.values import Stage, Theme
from services.ui import i18n, labels
from services.ui.formatting import Formats

UI = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "N_": ((1, "c"), 2)}


def _catalog() -> dict[tuple[str | None, str], str]:
    with (UI / "locale" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="nl")
    return {(m.context, str(m.id)): str(m.string) for m in catalog if m.id}


def _used() -> set[tuple[str | None, str]]:
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    return {
        (context, message if isinstance(message, str) else message[0])
        for _, _, message, _, context in extract_from_dir(
            str(UI), method_map, options, keywords=KEYWORDS
        )
    }


def test_every_text_of_the_pages_has_its_dutch() -> None:
    catalog, used = _catalog(), _used()
    assert len(used) > 100, "the extraction found the texts"
    missing = sorted((c or "", m) for c, m in used if not catalog.get((c, m)))
    assert not missing, f"no Dutch for {missing[:10]}"
    unused = sorted((c or "", m) for c, m in set(catalog) - used)
    assert not unused, f"in the catalog but used nowhere: {unused[:10]}"


def test_labels_of_the_domain_are_dutch_by_key() -> None:
    dutch = labels.Labels("nl")
    assert dutch.theme(Theme.SAFETY.value) == "veiligheid en criminaliteit"
    assert {dutch.theme(t.value) for t in Theme} >= {"opvoeding", "energietransitie"}
    assert [dutch.stage(s.value) for s in Stage] == ["plannen", "uitvoeren", "evalueren", "leren"]
    assert dutch.reason("plan_not_endorsed") == "bewoners hebben het plan nog niet onderschreven"
    assert labels.Labels("en").stage("act") == "act"
    assert dutch.stage("unknown") == "unknown", "an unknown key is shown as it is"


@pytest.mark.parametrize(
    ("cookie", "header", "chosen"),
    [
        (None, None, "nl"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "en;q=0.4, nl;q=0.8", "nl"),
        (None, "nl;q=0.1, en", "en"),
        (None, "nl-BE", "nl"),
        (None, "fr-FR, de;q=0.5", "nl"),
        (None, "en;q=0", "nl"),
        (None, "en;q=oops, nl", "nl"),
        ("en", "nl", "en"),
        ("xx", "en", "en"),
    ],
)
def test_the_language_follows_the_choice_then_the_browser_by_q(
    cookie: str | None, header: str | None, chosen: str
) -> None:
    assert i18n.negotiate(cookie, header) == chosen


def test_money_numbers_and_dates_read_the_dutch_way() -> None:
    dutch = Formats("nl")
    assert dutch.money("15000") == "€\xa015.000,00"  # a no-break space, as Dutch typesetting has it
    assert dutch.money("12500.5") == "€\xa012.500,50"
    assert dutch.number("1234.5") == "1.234,5"
    assert dutch.day("2026-12-01") == "1 december 2026"
    # 23:30 UTC on 1 December is already 2 December in Amsterdam.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert dutch.day(late.isoformat()) == "2 december 2026"
    assert dutch.moment(late.isoformat()) == "2 december 2026 00:30"
    assert dutch.moment("2026-07-01T12:00:00+00:00") == "1 juli 2026 14:00", "summer time"
    assert Formats("en").money("15000") == "€15,000.00"
    assert dutch.money("not a number") == "not a number"
