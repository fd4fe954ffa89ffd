"""The read models' tracking recorder, on eventsourcing's machinery.

`ReadModelView` is a `PostgresTrackingRecorder` whose every write puts the view rows and the
tracking position in one transaction: an event is applied exactly once, and a projector that
restarts resumes where the last committed transaction left it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg import Cursor, sql

from projections import schema
from projections.fold import Fold, PartitionedRows, Rows, load_states, survey
from projections.recent_states import RecentStates
from services.stores.people import load_keyring

APPLICATION = "Experiments"
PROJECTION = "ReadModels"

Role = Literal["serving", "building"]


class SchemaSwitched(RuntimeError):
    """The read models are served from another schema now: restart on that one."""


class Overtaken(RuntimeError):
    """Another writer applied some of these events first: start again from its position."""


def base_of(physical: str) -> str:
    return physical.rsplit("_read_", 1)[0]


class ReadModelView(PostgresTrackingRecorder):
    """Writes read-model rows and tracking together; refuses to write to a retired schema.

    The one place that leans on the recorder's private `_max_tracking_id` and
    `_insert_tracking` (they take the caller's cursor, so rows and tracking commit together);
    `tests/integration/test_projections.py` pins them.
    """

    @property
    def schema(self) -> str:
        return self.datastore.schema

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION) or 0

    def position_in(self, cursor: Cursor[Any]) -> int:
        """The view's position as seen in the transaction of `cursor`."""
        return self._max_tracking_id(APPLICATION, cursor) or 0

    def apply(
        self,
        pairs: Sequence[tuple[Any, Tracking]],
        *,
        role: Role = "serving",
        recent: RecentStates | None = None,
    ) -> int:
        """Apply events in one transaction; return how many were new to this view.

        With `recent`, the states of experiments folded lately are taken from it rather than
        read back, and it learns the states this transaction leaves, once committed.
        """
        with self.datastore.transaction(commit=True) as cursor:
            self._check_role(cursor, role)
            applied, fold = self._fold_in(cursor, pairs, recent)
        if recent is not None and fold is not None:
            recent.keep(fold.states)
        return applied

    def apply_rows(
        self, rows: Rows | PartitionedRows, *, after: int, last: Tracking, role: Role
    ) -> bool:
        """Write rows folded elsewhere from the events after `after` up to `last`, in one
        transaction with their tracking; False if they were all applied already."""
        with self.datastore.transaction(commit=True) as cursor:
            self._check_role(cursor, role)
            done = self.position_in(cursor)
            if done >= last.notification_id:
                return False
            if done != after:
                raise Overtaken(f"{self.schema} is at {done}, not {after}")
            rows.write(cursor, self.schema)
            self._insert_tracking(cursor, last)
            return True

    def _check_role(self, cursor: Cursor[Any], role: Role) -> None:
        current = schema.pointer(cursor, base_of(self.schema), lock="share")
        expected = current["physical"] if role == "serving" else current["building"]
        if expected != self.schema:
            raise SchemaSwitched(f"{self.schema} is no longer the {role} schema ({expected})")
        if role == "building":
            # A rebuild that loses its last batches to a crash redoes them (the tracking
            # position is lost with them), so it need not wait for each commit to disk.
            cursor.execute("SET LOCAL synchronous_commit = off")

    def apply_in(self, cursor: Cursor[Any], pairs: Sequence[tuple[Any, Tracking]]) -> int:
        """Apply events in the caller's transaction; return how many were new to this view."""
        return self._fold_in(cursor, pairs, None)[0]

    def _fold_in(
        self,
        cursor: Cursor[Any],
        pairs: Sequence[tuple[Any, Tracking]],
        recent: RecentStates | None,
    ) -> tuple[int, Fold | None]:
        done = self.position_in(cursor)
        todo = [(event, tracking) for event, tracking in pairs if tracking.notification_id > done]
        if recent is not None and len(todo) < len(pairs):
            # Another writer applied some: the states kept from before them are behind.
            recent.forget()
        if not todo:
            return 0, None
        events = [event for event, _ in todo]
        # A copy: the fold evolves it, and `recent` may learn the result only once committed.
        known = recent.known(events) if recent is not None else None
        needs = survey(events, known or {})
        fold = Fold(load_keyring(cursor, base_of(self.schema), needs.people), known)
        fold.load(load_states(cursor, self.schema, needs.missing))
        for event, tracking in todo:
            fold.add(event, tracking.notification_id)
        fold.write(cursor, self.schema)
        self._insert_tracking(cursor, todo[-1][1])
        return len(todo), fold

    def create_position_view(self, cursor: Cursor[Any]) -> None:
        cursor.execute(
            sql.SQL(
                "CREATE OR REPLACE VIEW {}.position AS SELECT notification_id FROM {}.{} "
                "WHERE application_name = {}"
            ).format(
                sql.Identifier(self.schema),
                sql.Identifier(self.schema),
                sql.Identifier(self.tracking_table_name),
                sql.Literal(APPLICATION),
            )
        )
