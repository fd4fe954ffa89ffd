"""The bulk decoder builds from a stored event exactly what the event store's mapper builds."""

from __future__ import annotations

import uuid
from dataclasses import replace

from eventsourcing.persistence import Notification

from services.infra.bulk_decoding import BulkDecoder
from services.infra.event_store import Experiments
from services.infra.postgres import Database
from services.stores.people import new_person_id
from tests.integration.test_projections import seed, seed_programme


def test_every_kind_of_stored_event_decodes_as_the_mapper_decodes_it(
    experiments: Experiments,
) -> None:
    seed(experiments, 2, publish=True)
    seed_programme(experiments)
    experiments.record_erasure(new_person_id(), "utrecht", {"id": "admin-1"})
    stored = experiments.recorder.select_notifications(0, 10_000)
    decoder = BulkDecoder(experiments.mapper)
    # Read as the bulk reads read them: the same positions, the same events.
    rows = experiments.stored_page(0, 10_000)
    assert [row[0] for row in rows] == [n.id for n in stored]
    kinds = set()
    for row, notification in zip(rows, stored, strict=True):
        ours, theirs = decoder.decode(row), experiments.mapper.to_domain_event(notification)
        assert type(ours) is type(theirs)
        assert vars(ours) == vars(theirs)
        kinds.add(type(ours).__qualname__)
    assert {"Experiment.Started", "Programme.Created", "Erasure.Recorded"} <= kinds
    assert len(kinds) > 8
    assert [row[0] for row in experiments.stored_page(stored[2].id, 3)] == [
        n.id for n in stored[3:6]
    ]


def _altered(notification: Notification, old: bytes, new: bytes) -> Notification:
    assert old in notification.state
    return replace(notification, state=notification.state.replace(old, new, 1))


def test_what_it_is_not_sure_of_goes_through_the_mapper(experiments: Experiments) -> None:
    seed(experiments, 1)
    first = experiments.recorder.select_notifications(0, 1)[0]
    decoder = BulkDecoder(experiments.mapper)
    an_id = uuid.uuid4()
    unusual = [
        # Another wrapped value: the mapper unwraps it, into a UUID.
        _altered(
            first,
            b'"payload":{',
            b'"payload":{"ref":{"_type_":"uuid_hex","_data_":"%s"},' % an_id.hex.encode(),
        ),
        # An integer beyond 64 bits, which orjson refuses.
        _altered(first, b'"payload":{', b'"payload":{"big":123456789012345678901234567890,'),
    ]
    decoded = []
    for notification in unusual:
        row = (
            notification.id,
            notification.originator_id,
            notification.originator_version,
            notification.topic,
            notification.state,
        )
        decoded.append(decoder.decode(row))
        assert vars(decoded[-1]) == vars(experiments.mapper.to_domain_event(notification))
    assert vars(decoded[0])["payload"]["ref"] == an_id


def test_the_partitions_of_a_range_together_are_its_page_each_stream_in_one(
    experiments: Experiments,
) -> None:
    seed(experiments, 6)
    seed_programme(experiments)
    head = experiments.max_position()
    after = 3
    parts = [experiments.stored_partition(after, head, p, 3) for p in range(3)]
    assert sorted(row for part in parts for row in part) == experiments.stored_page(after, head)
    assert all(part == sorted(part) for part in parts)
    owners = [{row[1] for row in part} for part in parts]
    assert all(not (a & b) for i, a in enumerate(owners) for b in owners[i + 1 :])
    assert sum(1 for part in parts if part) > 1


def test_a_reader_reads_what_the_event_store_wrote_on_one_connection(
    experiments: Experiments, database: Database
) -> None:
    """A rebuild's fold processes read beside every other process's pools; with the event
    store's five connections each, a rebuild in `make bench` ran out of the server's."""
    seed(experiments, 2)
    reader = Experiments.reader(database)
    try:
        head = experiments.max_position()
        assert reader.stored_partition(0, head, 0, 1) == experiments.stored_page(0, head)
        assert reader.recorder.datastore.pool.get_stats()["pool_max"] == 1
    finally:
        reader.close()
