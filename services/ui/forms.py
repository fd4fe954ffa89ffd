"""From a page's form to the body the API takes, and from a refusal back to the page."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from domain.errors import DomainError, InvalidInput

# Rows a plan form offers for indicators and budget lines.
PLAN_ROWS = 5


def decision_body(form: dict[str, Any]) -> dict[str, Any]:
    """The decision a form asks for, as the API's body: the same decision an API call takes."""
    kind = str(form.get("type") or "")
    body: dict[str, Any] = {"type": kind, "rationale": form.get("rationale") or ""}
    if kind == "revise_plan":
        body["description"] = form.get("description")
        body["indicators"] = _indicators(form)
        budget = _rows(form, "budget", "source", "amount_eur")
        for line in budget:
            line["amount_eur"] = line["amount_eur"].replace(",", ".")
        body["budget"] = budget
        body["co_signers"] = [
            line.strip() for line in str(form.get("co_signers") or "").splitlines() if line.strip()
        ]
    elif kind == "open_endorsement":
        body["closes_on"] = form.get("closes_on")
        body["threshold"] = _threshold(form)
    elif kind in ("endorse", "object"):
        if form.get("comment"):
            body["comment"] = form.get("comment")
    elif kind == "record_meeting_vote":
        body["held_on"] = form.get("held_on")
        for name in ("for", "against", "abstain", "attendees"):
            body[name] = _whole(form.get(name))
    elif kind == "advance":
        body["to"] = form.get("to")
    elif kind == "record_finding":
        body["text"] = form.get("text")
        body["source"] = form.get("source")
        body["indicator"] = form.get("indicator") or None
        body["value"] = form.get("value") or None
        if form.get("on_behalf_of"):
            body["on_behalf_of"] = form.get("on_behalf_of")
    elif kind == "record_lesson":
        body["text"] = form.get("text")
        body["themes"] = form.get("themes") or []
    elif kind == "close":
        body["outcome"] = form.get("outcome")
    elif kind == "publish_lesson":
        body["lesson"] = form.get("lesson")
        body["evidence_level"] = form.get("evidence_level")
        body["supporting"] = form.get("supporting") or []
        if form.get("conditions"):
            body["conditions"] = form.get("conditions")
    return body


def _indicators(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan form's indicator rows: a name and a target, and, for one that measures, its
    unit, baseline (value, year or date, source) and direction — each only when filled in."""
    found = []
    for n in range(1, PLAN_ROWS + 1):

        def field(name: str, n: int = n) -> str:
            return str(form.get(f"indicator_{name}_{n}") or "").strip()

        if not (field("name") or field("target")):
            continue
        row: dict[str, Any] = {"name": field("name"), "target": field("target")}
        if field("unit"):
            row["unit"] = field("unit")
        if field("baseline") or field("baseline_at") or field("baseline_source"):
            row["baseline"] = {
                "value": field("baseline"),
                "at": field("baseline_at"),
                "source": field("baseline_source"),
            }
        if field("direction"):
            row["direction"] = field("direction")
        found.append(row)
    return found


def _whole(value: Any) -> Any:
    """A count typed in a form, as a number when it is one; anything else is passed on as
    typed, for the decision's own check to refuse with the field's name."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() else text


def _threshold(form: dict[str, Any]) -> dict[str, Any]:
    """A threshold as a form asks for it: a number of residents, or a percentage of the
    residents invited (a share of 0-1 in the decision)."""
    value = str(form.get("threshold_value") or "").strip().replace(",", ".")
    if form.get("threshold_kind") == "share":
        try:
            return {"share": float(value) / 100}
        except ValueError:
            return {"share": value}
    return {"count": _whole(value)}


def _rows(form: dict[str, Any], prefix: str, first: str, second: str) -> list[dict[str, Any]]:
    rows = []
    for n in range(1, PLAN_ROWS + 1):
        a = str(form.get(f"{prefix}_{first}_{n}") or "").strip()
        b = str(form.get(f"{prefix}_{second}_{n}") or "").strip()
        if a or b:
            rows.append({first: a, second: b})
    return rows


def error_params(error: DomainError) -> dict[str, str]:
    code = "idempotency_key_reused" if error.code == "decision_id_reused" else error.code
    params = {"error": code}
    if isinstance(error, InvalidInput) and error.field:
        params["field"] = error.field
    return params


def end_of_day(day: str | None) -> datetime | None:
    """The end of a chosen day, for 'as it stood on'."""
    if not day:
        return None
    try:
        chosen = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput("choose a date as YYYY-MM-DD", field="at") from None
    return datetime.combine(chosen.date(), time.max, tzinfo=UTC)
