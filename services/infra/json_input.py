"""JSON from outside — a webhook's body, a cursor a client sends back — read within bounds.

Python's own parser recurses, so a thousand nested arrays raise `RecursionError` (a 500, not
the client's error). orjson stops at 1,024 levels with a decoding error; nothing wijklab
accepts is more than a few levels deep, so deeper input is refused as invalid.
"""

from __future__ import annotations

from typing import Any

import orjson

from domain.errors import InvalidInput

MAX_DEPTH = 32


class UnreadableJson(InvalidInput):
    """The input is not JSON, or nested deeper than anything wijklab accepts."""


def read_json(raw: bytes | str, *, field: str, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UnreadableJson(
            f"{field} is not readable JSON (malformed, or nested too deeply)", field=field
        ) from None
    if _depth(value) > max_depth:
        raise UnreadableJson(f"{field} is nested more than {max_depth} levels deep", field=field)
    return value


def _depth(value: Any) -> int:
    """How deeply containers nest, counted without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest
