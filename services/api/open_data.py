"""The lessons commons as open data: a CSV table and an Atom feed (RFC 4287), each stating
the licence, so a university, a newspaper or another municipality's dashboard can take the
lessons without an account.

The JSON form is the commons' own answer; these two are its other forms, built from the same
entries (`projections.commons_queries.entry`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from domain.commons import LICENCE_NAME, LICENCE_URL
from services.infra.spreadsheet import SafeCsv

ATOM = "http://www.w3.org/2005/Atom"
# The feed's last entries: a feed reader wants what is new, the CSV holds everything.
FEED_ENTRIES = 100
CSV_CHUNK = 200

# One row per published lesson; supporting findings by their ids, the public summary by its
# address.
CSV_COLUMNS = (
    "experiment_id",
    "lesson_id",
    "municipality",
    "neighbourhood_code",
    "neighbourhood_name",
    "experiment_title",
    "cycle",
    "themes",
    "evidence_level",
    "text",
    "conditions",
    "supporting",
    "learnt_at",
    "published_at",
    "summary_url",
)

LICENCE_LINK = f'<{LICENCE_URL}>; rel="license"'


def summary_url(base_url: str, experiment_id: str) -> str:
    return f"{base_url}/open/experiments/{experiment_id}"


def csv_chunks(lessons: Iterable[dict[str, Any]], base_url: str) -> Iterator[str]:
    """The lessons as CSV (formula cells defused), a few hundred rows per chunk."""
    writer = SafeCsv()
    writer.row(CSV_COLUMNS)
    for count, lesson in enumerate(lessons, 1):
        experiment = lesson["experiment"]
        writer.row(
            (
                lesson["experiment_id"],
                lesson["lesson_id"],
                lesson["municipality"],
                experiment["neighbourhood"]["code"],
                experiment["neighbourhood"]["name"],
                experiment["title"],
                lesson["cycle"],
                " ".join(lesson["themes"]),
                lesson["evidence_level"],
                lesson["text"] or "",
                lesson["conditions"] or "",
                " ".join(f["decision_id"] for f in lesson["supporting"]),
                lesson["learnt_at"],
                lesson["published_at"],
                summary_url(base_url, lesson["experiment_id"]),
            )
        )
        if count % CSV_CHUNK == 0:
            yield writer.take()
    yield writer.take()


# Characters XML 1.0 cannot carry at all (control characters other than tab and newlines):
# a lesson may hold one, the feed must stay well-formed.
NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(
        parent, f"{{{ATOM}}}{tag}", {k: NOT_XML.sub("", v) for k, v in attrs.items()}
    )
    if text is not None:
        child.text = NOT_XML.sub("", text)
    return child


def _title(lesson: dict[str, Any]) -> str:
    """The first sentence or so of the lesson, with its experiment's title."""
    text = (lesson["text"] or "").strip()
    short = text if len(text) <= 90 else text[:89].rsplit(" ", 1)[0] + "…"
    return f"{lesson['experiment']['title']}: {short}" if short else lesson["experiment"]["title"]


def atom_feed(lessons: list[dict[str, Any]], base_url: str, self_url: str) -> bytes:
    """The latest published lessons as an Atom feed, newest first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "nl"})
    _element(feed, "id", "tag:wijklab,2026:lessons")
    _element(feed, "title", "wijklab — lessen uit wijkaanpakken")
    _element(
        feed,
        "subtitle",
        "Lessen die gemeenten met bewoners leerden, met hoe sterk ze onderbouwd zijn.",
    )
    updated = max((lesson["published_at"] for lesson in lessons), default=None)
    _element(feed, "updated", updated or datetime.now(UTC).isoformat())
    _element(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _element(feed, "link", rel="alternate", href=f"{base_url}/open/lessons")
    _element(feed, "link", rel="license", href=LICENCE_URL)
    _element(feed, "rights", f"{LICENCE_NAME} ({LICENCE_URL})")
    _element(feed, "generator", "wijklab")
    for lesson in lessons:
        entry = _element(feed, "entry")
        # A tag URI (RFC 4151): an id that stays the lesson's wherever wijklab is served.
        _element(entry, "id", f"tag:wijklab,2026:{lesson['experiment_id']}/{lesson['lesson_id']}")
        _element(entry, "title", _title(lesson))
        _element(entry, "updated", lesson["published_at"])
        _element(entry, "published", lesson["first_published_at"])
        author = _element(entry, "author")
        _element(author, "name", f"gemeente {lesson['municipality']}")
        _element(
            entry, "link", rel="alternate", href=summary_url(base_url, lesson["experiment_id"])
        )
        for theme in lesson["themes"]:
            _element(entry, "category", term=theme)
        _element(entry, "category", term=f"evidence:{lesson['evidence_level']}")
        _element(entry, "summary", _summary(lesson))
        _element(entry, "content", lesson["text"] or "", type="text")
        _element(entry, "rights", LICENCE_NAME)
    written: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return written


LEVELS_NL = {
    "described": "goed beschreven",
    "substantiated": "goed onderbouwd",
    "effective": "effectief",
}


def _summary(lesson: dict[str, Any]) -> str:
    experiment = lesson["experiment"]
    where = experiment["neighbourhood"]["name"]
    level = LEVELS_NL.get(lesson["evidence_level"], lesson["evidence_level"])
    supported = len(lesson["supporting"])
    return (
        f"{experiment['title']} ({where}, gemeente {lesson['municipality']}), cyclus "
        f"{lesson['cycle']}. Onderbouwing: {level}; steunt op {supported} "
        f"{'bevinding' if supported == 1 else 'bevindingen'}."
    )
