"""Pictures drawn on the server: SVG from `pygal`, with no script, no style inside the page
and no outside reference, each with a title and a description for screen readers. The page
puts the same numbers in a table beside it, so the picture is never the only way to read them.

The pages' security policy allows no style inside a page, so pygal's stylesheet is taken out
of the SVG and served once as a file (`STYLESHEET`, scoped to the charts' class).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from typing import Any

import pygal
from markupsafe import Markup, escape
from pygal.style import Style

# The site's colours (see the stylesheet), each with enough contrast on white: residents,
# the figures, the baseline, the target.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    opacity="1",
    opacity_hover="1",
    colors=("#b3541e", "#00468b", "#595959", "#1e6b34"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    title_font_size=16,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)
_INLINE_STYLE = re.compile(r' style="[^"]*"')
_ROOT = re.compile(r"<svg\b")
_ID = re.compile(r'<svg\b[^>]*\bid="([^"]+)"')

# Every indicator chart has the same four lines in the same order (residents, the figures,
# the baseline, the target; one not known stays empty), so one stylesheet serves them all.
SERIES = ("residents", "figures", "baseline", "target")


def _line_chart(number: Callable[[Any], str]) -> pygal.Line:
    return pygal.Line(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=640,
        height=300,
        explicit_size=False,
        show_dots=True,
        dots_size=4,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        truncate_legend=-1,
        value_formatter=number,
        print_values=False,
        include_x_axis=False,
        show_y_guides=False,
        show_minor_y_labels=False,
    )


def _add_series(chart: pygal.Line, labels: dict[str, str], values: dict[str, list[Any]]) -> None:
    chart.add(
        labels["residents"],
        values["residents"],
        allow_interruptions=True,
        stroke_style={"width": 3},
    )
    chart.add(
        labels["figures"], values["figures"], allow_interruptions=True, stroke_style={"width": 3}
    )
    chart.add(
        labels["baseline"],
        values["baseline"],
        show_dots=False,
        stroke_style={"width": 2, "dasharray": "6, 4"},
    )
    chart.add(labels["target"], values["target"], show_dots=False,
              stroke_style={"width": 2, "dasharray": "2, 4"})  # fmt: skip


def _stylesheet() -> str:
    """pygal's stylesheet for these charts, scoped to their class instead of one chart's
    id; tooltips need a script, so they are hidden."""
    chart = _line_chart(str)
    chart.x_labels = ["1"]
    _add_series(chart, dict.fromkeys(SERIES, "x"), {key: [1] for key in SERIES})
    svg = chart.render(is_unicode=True)
    found = _ID.search(svg)
    assert found is not None, "pygal names its chart"
    # The stylesheet as written inside the SVG (XML), read back as CSS.
    css = html.unescape("".join(_STYLE.findall(svg))).replace(f"#{found.group(1)}", ".pygal-chart")
    return css + ".pygal-chart .tooltip{display:none}"


STYLESHEET = _stylesheet()


def _accessible(svg: str, title: str, description: str, *, own_style: bool = False) -> Markup:
    """The SVG without pygal's script and comments, as one image named by its own title and
    description; without its styles too, which the pages serve as a file, unless it keeps
    them (`own_style`: a PDF, whose renderer styles an SVG only from inside it)."""
    svg = _COMMENT.sub("", _SCRIPT.sub("", svg))
    if not own_style:
        svg = _INLINE_STYLE.sub("", _STYLE.sub("", svg))
    found = _ID.search(svg)
    chart_id = found.group(1) if found else "chart"
    svg = _ROOT.sub(
        f'<svg role="img" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc" focusable="false"',
        svg,
        count=1,
    )
    head = (
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    opening_end = svg.index(">") + 1
    return Markup(svg[:opening_end] + head + svg[opening_end:])  # noqa: S704 - escaped parts


def indicator_chart(
    indicator: dict[str, Any],
    labels: dict[str, str],
    number: Callable[[Any], str],
) -> Markup | None:
    """An indicator's measurements per cycle — residents' and the figures' latest — against
    its baseline and target; None when nothing was measured yet. `labels` names the lines
    and the axes and describes the picture in the page's language; `number` writes a number
    the page's way."""
    series = indicator["series"]
    if not series:
        return None
    cycles = sorted({m["cycle"] for m in series})
    residents: dict[int, float] = {}
    figures: dict[int, float] = {}
    for m in series:
        (residents if m["source"] == "residents" else figures)[m["cycle"]] = m["value"]
    chart = _line_chart(number)
    unit = f" ({indicator['unit']})" if indicator.get("unit") else ""
    chart.title = f"{indicator['name']}{unit}"
    baseline = indicator["baseline"]["value"] if indicator.get("baseline") else None
    target = _number(indicator.get("target"))
    # With a baseline both lines start from it, so which way each went shows at a glance.
    start = [baseline] if baseline is not None else []
    chart.x_labels = [labels["baseline"]] * len(start) + [f"{labels['cycle']} {c}" for c in cycles]
    points = len(chart.x_labels)
    _add_series(
        chart,
        labels,
        {
            "residents": start + [residents.get(c) for c in cycles],
            "figures": start + [figures.get(c) for c in cycles],
            "baseline": [baseline] * points,
            "target": [target] * points,
        },
    )
    return _accessible(chart.render(is_unicode=True), chart.title, labels["description"])


def _number(value: Any) -> float | None:
    try:
        found = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) and abs(found) <= 1e15 else None


def funding_chart(
    funding: list[dict[str, Any]],
    labels: dict[str, str],
    number: Callable[[Any], str],
    *,
    own_style: bool = False,
) -> Markup | None:
    """Funding per year, allocated against planned (all pots together; the table beside it
    has them per pot); None without any."""
    years = sorted({line["year"] for line in funding})
    if not years:
        return None
    allocated = dict.fromkeys(years, 0.0)
    planned = dict.fromkeys(years, 0.0)
    for line in funding:
        allocated[line["year"]] += float(line["allocated_eur"])
        planned[line["year"]] += float(line["planned_eur"])
    chart = pygal.Bar(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=640,
        height=300,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        truncate_legend=-1,
        value_formatter=number,
        show_y_guides=False,
    )
    chart.title = labels["title"]
    chart.x_labels = [str(y) for y in years]
    # The same two series, in the same order, as the indicator charts' first two colours.
    chart.add(labels["allocated"], [allocated[y] for y in years])
    chart.add(labels["planned"], [planned[y] for y in years])
    return _accessible(
        chart.render(is_unicode=True), chart.title, labels["description"], own_style=own_style
    )


def progress_chart(
    title: str, items: list[tuple[str, float]], description: str, *, own_style: bool = False
) -> Markup | None:
    """How far each indicator has come from its baseline to its target, in percent, one bar
    each (`items`: label and progress as a share); None without any."""
    if not items:
        return None
    chart = pygal.HorizontalBar(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=640,
        height=max(160, 60 + 26 * len(items)),
        show_legend=False,
        value_formatter=lambda value: f"{value:.0f}%",
        show_y_guides=False,
        truncate_label=-1,
    )
    chart.title = title
    chart.x_labels = [label for label, _ in items]
    chart.add(title, [round(share * 100, 1) for _, share in items])
    return _accessible(chart.render(is_unicode=True), title, description, own_style=own_style)
