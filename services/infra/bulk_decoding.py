"""Stored events back into domain events, many at once: for a rebuild and a catch-up.

The event store's mapper decodes each event's JSON with Python's `json` module and a hook
called for every object in it, looking for the values it wraps (`{"_type_": …, "_data_":
…}`); in a rebuild that was a third of the fold's time. Our events wrap one value, their
`timestamp`, so this decodes with `orjson` and unwraps that one, and builds the very event the
mapper builds. Whatever it is not sure of goes through the mapper instead: an event with any
other wrapped value, an upcast class version, a number of nineteen digits or more (`orjson`
reads an integer beyond 64 bits as a float), a value `orjson` refuses (a `NaN`, a lone
surrogate), a mapper that decrypts or decompresses.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent, find_id_convertor
from eventsourcing.utils import resolve_topic

from services.infra import json_reading

_WRAPPED = b'"_type_"'

# A stored event as a bulk read selects it: (position, originator id, version, topic, state).
# Plain tuples read in binary: the recorder's notifications, each a dictionary made into a
# frozen dataclass, cost three times as much to read.
StoredRow = tuple[int, UUID, int, str, bytes]


class BulkDecoder:
    """A mapper's decoding for reading many events at once; see the module's docstring."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        self.plain = mapper.cipher is None and mapper.compressor is None
        self.classes: dict[str, type] = {}

    def decode(self, row: StoredRow) -> Any:
        """What the mapper returns for the stored event of `row`."""
        _, originator_id, originator_version, topic, state = row
        event = self._decoded(originator_id, originator_version, topic, state)
        if event is None:
            stored = StoredEvent(originator_id, originator_version, topic, state)
            return self.mapper.to_domain_event(stored)
        return event

    def _decoded(
        self, originator_id: UUID, originator_version: int, topic: str, state: bytes
    ) -> Any | None:
        """The event, or None where the mapper should decode it (see the module)."""
        if not self.plain or state.count(_WRAPPED) != 1:
            return None
        fields = json_reading.read(state)
        if fields is json_reading.UNSURE:
            return None
        cls = self.classes.get(topic)
        if cls is None:
            cls = self.classes[topic] = resolve_topic(topic)
        timestamp = fields.get("timestamp")
        if (
            type(timestamp) is not dict
            or len(timestamp) != 2
            or timestamp.get("_type_") != "datetime_iso"
            or "class_version" in fields
            or getattr(cls, "class_version", 1) != 1
        ):
            return None
        fields["timestamp"] = datetime.fromisoformat(timestamp["_data_"])
        convert = find_id_convertor(cls, cast(Hashable, type(originator_id)))
        fields["originator_id"] = convert(originator_id)
        fields["originator_version"] = originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", fields)
        return event
