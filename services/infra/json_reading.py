"""JSON read with orjson wherever it reads what Python's `json` module reads.

orjson is several times faster, but not the same reader everywhere: it reads an integer
beyond 64 bits as a float, and refuses `NaN`, `Infinity` and lone surrogates, all of which
`json` reads. What stores and payloads hold here never has them; where they turn up, the
caller reads with its usual reader instead.
"""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

# Nineteen digits may be more than 64 bits: left to `json`, even where inside a string.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


class _Unsure:
    """orjson might read this otherwise than `json`: read it the usual way."""


UNSURE: Final = _Unsure()


def read(data: bytes) -> Any:
    """`data` decoded by orjson, or `UNSURE` where that might differ from `json`."""
    if _LONG_NUMBER.search(data):
        return UNSURE
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNSURE
