"""The projector's live path: the events committed since the view's position, applied as
soon as PostgreSQL says there are new ones, all that are there in one transaction.

eventsourcing's `ProjectionRunner` hands a projection one event at a time, a transaction
each, through three threads (one listening, one selecting, one applying). Here one thread
listens, selects what was committed since the view's position and applies it in one
transaction: a lone decision is applied as soon as its notification arrives, and the ones
committed while a transaction was being written go together in the next.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from projections.metrics import PROJECTOR_APPLIED
from projections.recent_states import RecentStates
from projections.view import APPLICATION, ReadModelView
from services import tracing
from services.infra.event_store import Experiments
from services.infra.postgres import Database

# How often the follower looks around (`look_around`) even when no event comes.
LOOK_EVERY = 0.5


def follow_live(
    database: Database,
    view: ReadModelView,
    experiments: Experiments,
    stop: threading.Event,
    *,
    batch_size: int,
    look_around: Callable[[int], bool],
) -> None:
    """Apply new events to `view` as they are committed, until `stop` is set or
    `look_around(position)` (asked every `LOOK_EVERY` seconds) says to stop following; it
    raises to end the following with an error."""
    recorder = cast(PostgresApplicationRecorder, experiments.recorder)
    recent = RecentStates()
    with database.connect(autocommit=True) as listening:
        # Listening before the first read: a notification of what is committed meanwhile
        # waits on this connection until it is read below.
        listening.execute(sql.SQL("LISTEN {}").format(sql.Identifier(recorder.channel_name)))
        position = view.position()
        looked = time.monotonic()
        while not stop.is_set():
            stored = experiments.stored_page(position, batch_size)
            if stored:
                pairs = [
                    (experiments.bulk.decode(row), Tracking(APPLICATION, row[0])) for row in stored
                ]
                PROJECTOR_APPLIED.inc(apply_traced(view, pairs, recent))
                position = stored[-1][0]
            else:
                for _ in listening.notifies(timeout=LOOK_EVERY, stop_after=1):
                    pass
            if time.monotonic() - looked >= LOOK_EVERY:
                if not look_around(position):
                    return
                looked = time.monotonic()


def apply_traced(
    view: ReadModelView, pairs: list[tuple[Any, Tracking]], recent: RecentStates
) -> int:
    """Apply `pairs` in one transaction; each traced decision among them has its projection
    as a hop of its own trace, the span covering that transaction."""
    with contextlib.ExitStack() as spans:
        for event, tracking in pairs:
            carried = getattr(event, "trace", None)
            if carried:
                spans.enter_context(
                    tracing.span(
                        "wijklab.project",
                        parent=carried,
                        experiment_id=str(event.originator_id),
                        position=tracking.notification_id,
                    )
                )
        return view.apply(pairs, recent=recent)
