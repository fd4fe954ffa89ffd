"""What was wrong with a request, in words for the person who sent it.

pydantic's own rendering of a validation error names its version and links to its website
("For further information visit https://errors.pydantic.dev/…"), and prefixes the messages of
custom checks with "Value error, ". Answers say only which field and what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PREFIXES = ("Value error, ", "Assertion failed, ")


def problems_of(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Each error as `{field, problem}`: the dotted path below the body, and the message."""
    found = []
    for error in errors:
        message = str(error.get("msg", "")).strip()
        for prefix in PREFIXES:
            message = message.removeprefix(prefix)
        field = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        found.append({"field": field, "problem": message or "invalid value"})
    return found


def summary(problems: list[dict[str, str]]) -> str:
    """The first problem as one line, `field: problem`."""
    if not problems:
        return "body: invalid request"
    first = problems[0]
    return f"{first['field'] or 'body'}: {first['problem']}"
