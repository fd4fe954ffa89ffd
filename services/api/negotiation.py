"""Content negotiation for the one resource that has two forms: a history as JSON or CSV.

`Accept` is read as RFC 9110 says, with quality values: `text/csv;q=0` means "not CSV", and
CSV is chosen only when the caller prefers it at least as much as JSON.
"""

from __future__ import annotations

CSV = "text/csv"
JSON = "application/json"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(1.0, max(0.0, float(value)))
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def prefers_csv(accept: str | None) -> bool:
    """Whether the caller asked for CSV: `text/csv` with a quality above 0, and no higher
    than that for JSON."""
    if not accept:
        return False
    ranges = _ranges(accept)
    csv = max((q for media, q in ranges if media == CSV), default=0.0)
    json = max((q for media, q in ranges if media == JSON), default=0.0)
    return csv > 0 and csv >= json
