"""Folding one page of stored events onto the states kept from the pages before it: what
a catch-up does in its own process and what each of a rebuild's fold processes does with its
partition of a page."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

from psycopg import Cursor

from projections.fold import Fold, FoldedState, load_states, survey
from projections.view import base_of
from services.stores.people import load_keyring


def fold_page(
    reading: Callable[[], AbstractContextManager[Cursor[Any]]],
    physical: str,
    events: list[Any],
    positions: list[int],
    states: dict[UUID, FoldedState],
    drain: Callable[[], None],
) -> Fold:
    """Fold a page of events onto `states`, reading keys and missing states from the view
    in `physical` through a cursor from `reading`; `drain` first commits what came before
    (the view holds those states only then)."""
    with reading() as cursor:
        needs = survey(events, states)
        fold = Fold(load_keyring(cursor, base_of(physical), needs.people), states)
        if needs.missing:
            drain()
            fold.load(load_states(cursor, physical, needs.missing))
    for event, position in zip(events, positions, strict=True):
        fold.add(event, position)
    return fold
