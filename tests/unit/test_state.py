"""The fold's direct copy of a state must mean exactly what `dataclasses.replace` means, and
stored documents load whatever their age."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from domain.decisions import BOOKKEEPING, DecisionType
from domain.state import ExperimentState, _changes, begin, evolve_by
from tests.builders import PARTNER, PLAN, PM, RESIDENT, SYSTEM, decision, one_cycle, start

FIELDS = {f.name for f in dataclasses.fields(ExperimentState)}


def test_evolve_sets_only_fields_and_equals_replace() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    state = begin("e-1", start(), at=at)
    later = [
        decision("revise_plan", PM, **PLAN, co_signers=["Woonstad"]),
        decision(
            "open_endorsement", PM, closes_on="2026-03-20", threshold={"share": 0.5}, electorate=4
        ),
        decision("endorse", RESIDENT, comment="goed plan"),
        decision("object", RESIDENT),
        decision(
            "record_meeting_vote",
            PM,
            held_on="2026-03-04",
            attendees=30,
            abstain=2,
            against=3,
            evidence=["1b4e28ba-2fa1-11d2-883f-0016d3cca427"],
            **{"for": 25},
        ),
        decision("co_sign", PARTNER, organisation="Woonstad"),
        decision("endorsement_closing", SYSTEM, round=1, closes_on="2026-03-20"),
        decision("assign_owner", PM, person_id="prs_" + "0" * 31 + "7"),
        decision("endorsement_failed", SYSTEM, round=1),
        decision("revise_plan", PM, **PLAN),
        decision("endorsement_reached", SYSTEM, round=2),
        *one_cycle(),
        decision("publish_lesson", PM, lesson="les-1", evidence_level="described"),
        decision("stage_due", PM),
        decision("stage_overdue", PM),
        decision("close", PM, outcome="adopted"),
    ]
    for n, d in enumerate(later, start=1):
        moment = at + timedelta(days=n)
        evolved = evolve_by(state, d.type, d.payload, at=moment)
        expected = dataclasses.replace(
            state,
            **_changes(state, d.type, d.payload, moment),
            updated_at=moment,
            version=state.version + 1,
            moved_at=state.moved_at if d.type in BOOKKEEPING else moment,
        )
        assert set(vars(evolved)) == FIELDS, d.type
        assert evolved == expected, d.type
        assert state.version == n, "the state evolved from must stay as it was"
        state = evolved
    assert state.status.value == "closed"
    assert {d.type for d in later} >= set(DecisionType) - {DecisionType.START}


def test_stored_documents_of_older_and_newer_shapes_load() -> None:
    state = begin("e-1", start(), at=datetime(2026, 3, 1, tzinfo=UTC))
    for d in one_cycle()[:3]:
        state = evolve_by(state, d.type, d.payload, at=datetime(2026, 3, 2, tzinfo=UTC))
    document = state.to_dict()
    assert ExperimentState.from_dict(document) == state
    newer = {
        **document,
        "indicators": [],
        "programme_id": None,
        "plan": {**document["plan"], "x": 1},
    }
    assert ExperimentState.from_dict(newer) == state, "unknown keys are ignored"
    older = {
        k: v
        for k, v in document.items()
        if k not in ("stage_due", "stage_overdue", "lessons_this_cycle", "stage_entered_at")
    }
    loaded = ExperimentState.from_dict(older)
    assert (loaded.stage, loaded.plan, loaded.version) == (state.stage, state.plan, state.version)
    assert (loaded.stage_due, loaded.lessons_this_cycle, loaded.stage_entered_at) == (
        False,
        0,
        None,
    )
