"""A rebuild's fold spread over processes, each taking the streams of one partition.

Decoding and folding events is Python's work and holds the interpreter: in one process a
rebuild ran at about a quarter of the rate at which the same events are merely read and
decoded, with one core idle. The events of one stream (an experiment, a programme, an
erasure) always fall in the same partition, by their originator id, and no fold reads another
stream's state, so each process selects, decodes and folds its partition's events of a page
on its own and keeps its streams' states from page to page. This process writes all
partitions' rows of a page in one transaction with the page's tracking position, in log
order, exactly as a catch-up in one process does: an interrupted rebuild resumes from the
last committed page, and what it builds equals what one process builds.

The processes are started as plain interpreters that import this module alone, not by
`multiprocessing`'s spawn, which imports the parent's main module in each child first: the
command line's, or a benchmark's, took a second and a half per process before the first
event was read.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg.rows import dict_row

from projections.catch_up import (
    BATCH_SIZE,
    MAX_STATES_IN_MEMORY,
    Progress,
    ProgressCallback,
    fold_page,
)
from projections.collector import collector_paused
from projections.fold import FoldedState, PartitionedRows, Rows
from projections.pipeline import BatchWriter
from projections.view import APPLICATION, ReadModelView
from services.infra.event_store import Experiments
from services.infra.postgres import Database

# Pages handed to the processes ahead of the one being collected: each has the next at hand
# when it finishes one.
AHEAD = 2
# How long the processes have to stop once the rebuild is done with them.
STOP_SECONDS = 10.0
_DRAIN = "drain"
_DRAINED = "drained"
# What a fold process runs: it takes the parent's import path, then serves its socket.
_BOOT = (
    "import sys\n"
    "from multiprocessing.connection import Connection\n"
    "connection = Connection(int(sys.argv[1]))\n"
    "sys.path[:] = connection.recv()\n"
    "from projections.partitioned import serve\n"
    "serve(connection)\n"
)


@dataclass(frozen=True)
class _Page:
    physical: str
    after: int
    upto: int


class _Stopped(Exception):
    """Told to stop while waiting for the rebuild's writer."""


@dataclass(frozen=True)
class _Failed:
    partition: int
    trace: str


class FoldProcesses:
    """`count` processes that fold pages of events, started as this is entered (they take
    a moment to start: enter early) and stopped as it is left."""

    def __init__(
        self, database: Database, count: int, *, max_states: int = MAX_STATES_IN_MEMORY
    ) -> None:
        self.count = count
        self.connections: list[Connection] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self._arguments = [
            (dict(database.params), database.schema, partition, count, max_states)
            for partition in range(count)
        ]

    def __enter__(self) -> FoldProcesses:
        try:
            for arguments in self._arguments:
                ours, theirs = socket.socketpair()
                with ours, theirs:
                    process = subprocess.Popen(  # noqa: S603 - this interpreter, our code
                        [sys.executable, "-c", _BOOT, str(theirs.fileno())],
                        pass_fds=(theirs.fileno(),),
                    )
                    # Only the process holds its end now: when it dies, reading here ends.
                    connection = Connection(ours.detach())
                self.processes.append(process)
                self.connections.append(connection)
                connection.send(sys.path)
                connection.send(arguments)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback_: TracebackType | None,
    ) -> None:
        for connection in self.connections:
            with contextlib.suppress(BrokenPipeError, OSError):
                connection.send(None)
        # One deadline for all: a process that does not stop by then (one busy sending rows
        # no one reads any more) is killed.
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for connection in self.connections:
            connection.close()

    def catch_up(
        self,
        view: ReadModelView,
        experiments: Experiments,
        *,
        batch_size: int = BATCH_SIZE,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Fold and write the log up to its head as it was read here, page by page."""
        began, start = time.monotonic(), view.position()
        head = experiments.max_position()
        handed: deque[_Page] = deque()
        submitted = 0

        def hand_over(after: int, head: int) -> int:
            # Up to a head read before: every position up to it is final (the event store
            # numbers events as it commits them), so the tracking position can say so.
            upto = min(after + batch_size, head)
            page = _Page(view.schema, after, upto)
            for connection in self.connections:
                # A process that is gone says why (or that it ended) when collected.
                with contextlib.suppress(BrokenPipeError, OSError):
                    connection.send(page)
            handed.append(page)
            return upto

        with BatchWriter(view, "building") as writer:
            following = start
            while True:
                while following < head and len(handed) < AHEAD:
                    following = hand_over(following, head)
                if not handed:
                    # Written meanwhile: follow it, and leave to the rebuild's last pass (under
                    # the lock that holds writers off) only what comes after.
                    head = experiments.max_position()
                    if head <= following:
                        break
                    continue
                page = handed.popleft()
                parts = tuple(self._collect(partition, writer) for partition in range(self.count))
                events = sum(part.events for part in parts)
                writer.submit(
                    PartitionedRows(parts),
                    after=page.after,
                    last=Tracking(APPLICATION, page.upto),
                    events=events,
                )
                submitted += events
                if progress:
                    elapsed = max(time.monotonic() - began, 1e-9)
                    progress(Progress(done=page.upto, total=head, rate=submitted / elapsed))
        return writer.applied

    def _collect(self, partition: int, writer: BatchWriter) -> Rows:
        """The next page's rows from `partition`, committing what was written before
        whenever it asks to read states back."""
        connection = self.connections[partition]
        while True:
            try:
                answer = connection.recv()
            except (EOFError, ConnectionError):
                process = self.processes[partition]
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=STOP_SECONDS)
                raise RuntimeError(
                    f"fold process {partition} ended unexpectedly (exit code {process.returncode})"
                ) from None
            if answer == _DRAIN:
                writer.drain()
                # A process that failed meanwhile has said why: the next answer.
                with contextlib.suppress(BrokenPipeError, ConnectionError):
                    connection.send(_DRAINED)
            elif isinstance(answer, _Failed):
                raise RuntimeError(f"fold process {partition} failed:\n{answer.trace}")
            else:
                assert isinstance(answer, Rows)
                return answer


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
        experiments = Experiments.open(database)
        try:
            _fold_pages(database, experiments, partition, count, max_states, connection)
        finally:
            experiments.close()
    except _Stopped:
        pass
    except BaseException:
        with contextlib.suppress(BrokenPipeError, OSError):
            connection.send(_Failed(partition, traceback.format_exc()))
    finally:
        connection.close()


def _fold_pages(
    database: Database,
    experiments: Experiments,
    partition: int,
    count: int,
    max_states: int,
    connection: Connection,
) -> None:
    states: dict[UUID, FoldedState] = {}

    # Pages handed over while this process waited for its writes to be committed.
    early: deque[_Page | None] = deque()

    def drain() -> None:
        connection.send(_DRAIN)
        while (answer := connection.recv()) != _DRAINED:
            if answer is None:
                raise _Stopped  # the rebuild ended meanwhile (another process failed)
            early.append(answer)

    def next_page() -> _Page | None:
        return early.popleft() if early else connection.recv()

    with database.connect(autocommit=True, row_factory=dict_row) as conn:
        while (page := next_page()) is not None:
            assert isinstance(page, _Page)
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
