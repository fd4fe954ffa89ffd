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

The processes are started as plain interpreters that import `projections.fold_process`
alone, not by `multiprocessing`'s spawn, which imports the parent's main module in each
child first: the command line's, or a benchmark's, took a second and a half per process
before the first event was read.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections import deque
from multiprocessing.connection import Connection
from types import TracebackType

from eventsourcing.persistence import Tracking

from projections.catch_up import BATCH_SIZE, MAX_STATES_IN_MEMORY, Progress, ProgressCallback
from projections.fold import PartitionedRows, Rows
from projections.fold_process import DRAIN, DRAINED, Failed, Page
from projections.pipeline import BatchWriter
from projections.view import APPLICATION, ReadModelView
from services.infra.event_store import Experiments
from services.infra.postgres import Database

# Pages handed to the processes ahead of the one being collected: each has the next at hand
# when it finishes one.
AHEAD = 2
# How long the processes have to stop once the rebuild is done with them.
STOP_SECONDS = 10.0
# What a fold process runs: it takes the parent's import path, then serves its socket. Done,
# it leaves without tearing the interpreter down (freeing every state it kept took a tenth
# of a second), as a process forked by `multiprocessing` does.
_BOOT = (
    "import os, sys\n"
    "from multiprocessing.connection import Connection\n"
    "connection = Connection(int(sys.argv[1]))\n"
    "sys.path[:] = connection.recv()\n"
    "from projections.fold_process import serve\n"
    "serve(connection)\n"
    "sys.stdout.flush()\n"
    "sys.stderr.flush()\n"
    "os._exit(0)\n"
)


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
        self.stop()

    def stop(self) -> None:
        """Tell the processes to stop and wait until they have (again: nothing)."""
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
        handed: deque[Page] = deque()
        submitted = 0

        def hand_over(after: int, head: int) -> int:
            # Up to a head read before: every position up to it is final (the event store
            # numbers events as it commits them), so the tracking position can say so.
            upto = min(after + batch_size, head)
            page = Page(view.schema, after, upto)
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
            if answer == DRAIN:
                writer.drain()
                # A process that failed meanwhile has said why: the next answer.
                with contextlib.suppress(BrokenPipeError, ConnectionError):
                    connection.send(DRAINED)
            elif isinstance(answer, Failed):
                raise RuntimeError(f"fold process {partition} failed:\n{answer.trace}")
            else:
                assert isinstance(answer, Rows)
                return answer
