"""Temporal's `json/plain` payloads, encoded with `orjson` and typed without re-reading hints.

Every decision crosses Temporal's data converter four times (the update's input in the API
and the worker, the append's input and result in the worker, the update's result back in the
API), and the default converter spent 14 % of the worker's CPU and 13 % of the API's on it: a
deep copy of each dataclass (`dataclasses.asdict`) before `json.dumps`, and on the way back
`typing.get_type_hints` evaluated afresh for every dataclass, then every key and value of an
experiment's document checked one by one against `dict[str, Any]`.

The payloads stay what the default converter writes — `json/plain`, sorted keys, readable by
any Temporal SDK and by the histories already stored — and the default converter reads these.
Whatever `orjson` would not treat as the default does goes the default converter's way: a
value it cannot encode (an integer beyond 64 bits, a set), a float that is not finite (which
it would write as `null`), data it cannot read (`NaN`, a lone surrogate) or would read
differently (an integer of nineteen digits or more, which it reads as a float), and a type
this module does not know how to check quickly.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any

import orjson
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    JSONPlainPayloadConverter,
    JSONProtoPayloadConverter,
    value_to_type,
)

from services.infra import json_reading

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_ENCODING = b"json/plain"


class FastJSONPayloadConverter(JSONPlainPayloadConverter):
    """`json/plain` as the default converter writes it, at a fraction of its cost."""

    def to_payload(self, value: Any) -> Payload | None:
        try:
            data = orjson.dumps(value, option=_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is one
            return super().to_payload(value)
        if b"null" in data and not _finite(value):
            return super().to_payload(value)
        return Payload(metadata={"encoding": _ENCODING}, data=data)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        value = json_reading.read(payload.data)
        if value is json_reading.UNSURE:
            return super().from_payload(payload, type_hint)
        return typed(type_hint, value) if type_hint else value


def _finite(value: Any) -> bool:
    """Whether every float in `value` is finite (orjson writes the others as `null`)."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is float:
            if not math.isfinite(item):
                return False
        elif kind is dict:
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        elif dataclasses.is_dataclass(item):
            pending.extend(vars(item).values())
    return True


def typed(hint: Any, value: Any) -> Any:
    """`value` as `hint`, as Temporal's `value_to_type` makes it: a dataclass from a dict
    (unknown keys ignored, so older code reads newer payloads), each field checked."""
    fields = _dataclass_fields(hint)
    if fields is None:
        return value_to_type(hint, value)
    if not isinstance(value, dict):
        raise TypeError(f"Cannot convert to dataclass {hint}, value is {type(value)} not dict")
    given = {}
    for name, check in fields:
        if name in value:
            try:
                given[name] = check(value[name])
            except Exception as error:
                raise TypeError(f"Failed converting field {name} on dataclass {hint}") from error
    return hint(**given)


@functools.cache
def _dataclass_fields(hint: Any) -> tuple[tuple[str, Any], ...] | None:
    """Each field's name and its check, once per class; None for what is not a dataclass
    this module handles (one with fields set outside `__init__` goes the default way)."""
    if not (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
        return None
    fields = dataclasses.fields(hint)
    if any(not f.init for f in fields):
        return None
    hints = typing.get_type_hints(hint)
    return tuple((f.name, _check(hints[f.name])) for f in fields)


def _check(hint: Any) -> Any:
    """A function that returns a field's value as `hint`, or raises TypeError."""
    if hint is Any:
        return _as_is
    if hint in (str, bool):
        return functools.partial(_exactly, hint)
    if hint in (int, float):
        return functools.partial(_number, hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is dict and args and args[0] is str and args[1] is Any:
        return _json_object
    if origin is list and args == (str,):
        return _strings
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _check(next(a for a in args if a is not type(None)))
        return functools.partial(_optional, inner)
    if _dataclass_fields(hint) is not None:
        return functools.partial(typed, hint)
    return functools.partial(value_to_type, hint)


def _as_is(value: Any) -> Any:
    return value


def _exactly(kind: type, value: Any) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"Expected value to be {kind.__name__}, was {type(value)}")
    return value


def _number(kind: type, value: Any) -> Any:
    if not isinstance(value, int | float):
        raise TypeError(f"Expected value to be int|float, was {type(value)}")
    return kind(value)


def _json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"Expected value to be dict, was {type(value)}")
    return value


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("Expected a list of strings")
    return value


def _optional(inner: Any, value: Any) -> Any:
    return None if value is None else inner(value)


class FastPayloadConverter(CompositePayloadConverter):
    """The default converter's encodings, in its order, with the fast `json/plain`."""

    def __init__(self) -> None:
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            JSONProtoPayloadConverter(),
            BinaryProtoPayloadConverter(),
            FastJSONPayloadConverter(),
        )


DATA_CONVERTER = DataConverter(payload_converter_class=FastPayloadConverter)
