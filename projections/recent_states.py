"""The states the live projector folded last, so that the next decision on the same
experiment (or programme) folds onto them instead of reading them back.

Reading a state back is two queries and a JSON document turned into a state again, for every
event: about a seventh of the live projector's work. The states kept are what the projector
itself committed; whoever applies events beside it (which a view notices: they are not new
to it) makes it forget them all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from projections.fold import FoldedState

# Experiments decided on lately; a state is a few kilobytes.
RECENT_STATES = 2000


class RecentStates:
    """The latest committed states of the streams folded lately, the least recent dropped
    first. Used by one thread: the live projector's."""

    def __init__(self, size: int = RECENT_STATES) -> None:
        self.size = size
        self._states: OrderedDict[UUID, FoldedState] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def known(self, events: Iterable[Any]) -> dict[UUID, FoldedState]:
        """The kept states of these events' streams, in a dictionary of their own."""
        found: dict[UUID, FoldedState] = {}
        for event in events:
            state = self._states.get(event.originator_id)
            if state is not None:
                found[event.originator_id] = state
        return found

    def keep(self, states: Mapping[UUID, FoldedState]) -> None:
        """Remember these states, as committed."""
        for stream_id, state in states.items():
            self._states[stream_id] = state
            self._states.move_to_end(stream_id)
        while len(self._states) > self.size:
            self._states.popitem(last=False)

    def forget(self) -> None:
        self._states.clear()
