"""Cursor pagination, one way for every list: opaque cursors, bounded limits, `{items,
next_cursor}` pages."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidInput
from services.infra.json_input import read_json

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The cursors handed out hold a few values; anything much longer is not one of them.
MAX_CURSOR = 512
NOT_OURS = "cursor is not one this service handed out"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR:
        raise InvalidInput(NOT_OURS, field="cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = read_json(base64.urlsafe_b64decode(padded.encode()), field="cursor", max_depth=1)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput(NOT_OURS, field="cursor") from None
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidInput(NOT_OURS, field="cursor")
    return values


def page_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def parsed_timestamp(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(NOT_OURS, field="cursor") from None


def parsed_uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(NOT_OURS, field="cursor") from None


def cursor_int(value: Any) -> int:
    """A whole number from a decoded cursor, in PostgreSQL's bigint range."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise InvalidInput(NOT_OURS, field="cursor")
    return value
