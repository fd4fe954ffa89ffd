"""A fold process of a rebuild (`projections.partitioned`): it selects, decodes and folds
its partition's events of each page it is handed and sends the rows back.

Its own module, so that a process imports what folding needs and nothing of the rebuild
around it (the writer, the settings): no page is folded until it has.
"""

from __future__ import annotations

import contextlib
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from projections.collector import collector_paused
from projections.fold import FoldedState
from projections.page_fold import fold_page
from services.infra.event_store import Experiments
from services.infra.postgres import Database

# Asked by a process before it reads states back from the view, answered once everything
# handed to the writer before is committed.
DRAIN = "drain"
DRAINED = "drained"


@dataclass(frozen=True)
class Page:
    """The events after `after` up to `upto`, to be folded into the schema `physical`."""

    physical: str
    after: int
    upto: int


@dataclass(frozen=True)
class Failed:
    """A process's last word: why it stopped."""

    partition: int
    trace: str


class _Stopped(Exception):
    """Told to stop while waiting for the rebuild's writer."""


def serve(connection: Connection) -> None:
    """A fold process: its arguments, then pages in and its partition's rows out, until told
    to stop."""
    try:
        params, schema, partition, count, max_states = connection.recv()
    except (EOFError, ConnectionError):
        return  # the rebuild ended before this process started
    _fold_partition(params, schema, partition, count, max_states, connection)


def _fold_partition(
    params: dict[str, Any],
    schema: str,
    partition: int,
    count: int,
    max_states: int,
    connection: Connection,
) -> None:
    try:
        database = Database(params=params, schema=schema)
        # Connected first: a server that refuses says why at once, where the event store's
        # pool would only say, after a while, that it got no connection.
        with database.connect(autocommit=True, row_factory=dict_row) as conn:
            experiments = Experiments.reader(database)
            try:
                _fold_pages(conn, experiments, partition, count, max_states, connection)
            finally:
                experiments.close()
    except _Stopped:
        pass
    except BaseException:
        with contextlib.suppress(BrokenPipeError, OSError):
            connection.send(Failed(partition, traceback.format_exc()))
    finally:
        connection.close()


def _fold_pages(
    conn: psycopg.Connection[dict[str, Any]],
    experiments: Experiments,
    partition: int,
    count: int,
    max_states: int,
    connection: Connection,
) -> None:
    states: dict[UUID, FoldedState] = {}

    # Pages handed over while this process waited for its writes to be committed.
    early: deque[Page | None] = deque()

    def drain() -> None:
        connection.send(DRAIN)
        while (answer := connection.recv()) != DRAINED:
            if answer is None:
                raise _Stopped  # the rebuild ended meanwhile (another process failed)
            early.append(answer)

    def next_page() -> Page | None:
        return early.popleft() if early else connection.recv()

    while (page := next_page()) is not None:
        assert isinstance(page, Page)
        rows = experiments.stored_partition(page.after, page.upto, partition, count)
        if len(states) > max_states // count:
            states.clear()
        with collector_paused():
            events = [experiments.bulk.decode(row) for row in rows]
            fold = fold_page(
                conn.cursor,
                page.physical,
                events,
                [row[0] for row in rows],
                states,
                drain,
            )
            folded = fold.rows()
        del rows, events, fold
        connection.send(folded)
