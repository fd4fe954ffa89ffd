"""The council's yearly report on a programme, as HTML and as PDF (WeasyPrint): what its
neighbourhoods' experiments did, how residents endorsed, what was measured against what was
aimed for, what was spent against what was allocated, where residents experience it
differently than the figures, and what was learnt — in Dutch numbers and dates.

The same template makes both: the HTML links the site's stylesheets, the PDF carries them
inside (WeasyPrint reads no page policy, and a PDF must stand on its own).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from services.ui.charts import STYLESHEET, funding_chart, progress_chart
from services.ui.formatting import Formats
from services.ui.i18n import Lang, translations
from services.ui.rendering import TEMPLATES, environment

REPORT_CSS = (TEMPLATES.parent / "static" / "report.css").read_text(encoding="utf-8")


class PdfUnavailable(RuntimeError):
    """This installation cannot draw PDFs (Pango is missing; see the README)."""


def report_html(report: dict[str, Any], lang: Lang, *, standalone: bool) -> str:
    """The report as one HTML document; `standalone` carries its styles inside (for PDF)."""
    _ = translations(lang).gettext
    # One picture for the programme: how far each neighbourhood's indicators have come on
    # average (each experiment's own series are drawn on its page, and every indicator's
    # numbers are in the tables; two hundred pictures would hide the programme).
    averages = []
    for place in report["neighbourhood_reports"]:
        shares = [
            i["progress"]
            for e in place["experiments"]
            for i in e["indicators"]
            if i["progress"] is not None
        ]
        if shares:
            averages.append((place["name"], sum(shares) / len(shares)))
    progress = progress_chart(
        _("Progress towards the targets, per neighbourhood"),
        averages,
        _(
            "Bar chart of how far the indicators of each neighbourhood's experiments have "
            "come on average from their baselines to their targets, in percent; every "
            "indicator's numbers are in the tables per neighbourhood."
        ),
        own_style=standalone,
    )
    chart = funding_picture(report["funding_by_year"], lang, own_style=standalone)
    page = environment(lang).get_template("report.html")
    return page.render(
        report=report,
        funding_chart=chart,
        progress_chart=progress,
        standalone=standalone,
        styles=REPORT_CSS + STYLESHEET if standalone else "",
        made_at=datetime.now(UTC),
    )


def funding_picture(
    funding: list[dict[str, Any]], lang: Lang, *, own_style: bool = False
) -> Markup | None:
    """A programme's funding per year drawn, allocated against planned: on its page and in
    its report."""
    _ = translations(lang).gettext
    return funding_chart(
        funding,
        {
            "title": _("Funding per year"),
            "allocated": _("allocated"),
            "planned": _("planned in the experiments"),
            "description": _(
                "Bar chart of the funding per year: allocated to the programme against "
                "planned in its experiments' plans; the numbers per pot are in the table below."
            ),
        },
        Formats(lang).number,
        own_style=own_style,
    )


def report_pdf(html: str) -> bytes:
    """The report drawn as PDF by WeasyPrint, imported only here: without Pango, everything
    else still runs."""
    try:
        from weasyprint import HTML
    except OSError as missing:
        raise PdfUnavailable(
            "PDF reports need Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        ) from missing
    # Whole fonts, not subsets: subsetting costs a second on a long report, for little size.
    pdf: bytes = HTML(string=html).write_pdf(full_fonts=True)
    return pdf
