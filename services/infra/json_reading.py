"""JSON read with orjson wherever it reads what Python's `json` module reads.

orjson is several times faster, but not the same reader everywhere: it reads an integer
beyond 64 bits as a float, and refuses `NaN`, `Infinity` and lone surrogates, all of which
`json` reads. What stores and payloads hold here never has them; where they turn up, the
caller reads with its usual reader instead.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

# Nineteen digits may be more than 64 bits: left to `json`, even where inside a string. Found
# by mapping every digit to one letter and everything else to a space, then looking for
# nineteen of that letter: a regular expression took six times as long, trying a match at
# every digit of every timestamp.
_DIGITS_MARKED = bytes(0x64 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_NUMBER = b"d" * 19


class _Unsure:
    """orjson might read this otherwise than `json`: read it the usual way."""


UNSURE: Final = _Unsure()


def read(data: bytes) -> Any:
    """`data` decoded by orjson, or `UNSURE` where that might differ from `json`."""
    if _LONG_NUMBER in data.translate(_DIGITS_MARKED):
        return UNSURE
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNSURE
