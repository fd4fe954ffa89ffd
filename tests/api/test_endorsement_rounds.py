"""Endorsement rounds over HTTP: a round from opening to `endorsement_reached` with a
changed vote, a co-signing partner who came in by invitation and a residents' meeting on its
minutes; and every bad input a clear 4xx with a code, with nothing stored."""

from __future__ import annotations

import re
import uuid
from typing import Any
from uuid import UUID

from tests.api.conftest import Stack, open_session, page_showing, round_of_one
from tests.api.test_contract import PLAN, assert_error, decide, start
from tests.api.test_invitations import accept, invite, page_path
from tests.builders import round_closing_on
from tests.stored import stored_history

PARTNER_ORGANISATION = "Woonstad Rotterdam"


def round_of(count: int, **fields: Any) -> dict[str, Any]:
    return round_of_one() | {"threshold": {"count": count}} | fields


def resident_key(stack: Stack, name: str) -> dict[str, str]:
    """A resident of their own (a person with a key), to vote over the API."""
    token, _ = stack.keys.create("resident", "utrecht", name)
    return {"Authorization": f"Bearer {token}"}


async def vote(stack: Stack, eid: str, who: dict[str, str], body: dict[str, Any]) -> Any:
    return await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json=body,
        headers={**who, "Idempotency-Key": uuid.uuid4().hex},
    )


async def minutes(stack: Stack, eid: str) -> str:
    kept = await stack.client.post(
        f"/v1/experiments/{eid}/evidence",
        headers=stack.auth("pm"),
        files={
            "file": ("verslag.txt", b"Bewonersavond 2 december: 31 voor, 4 tegen.", "text/plain")
        },
        data={"title": "Verslag bewonersavond"},
    )
    assert kept.status_code == 201, kept.text
    return str(kept.json()["id"])


async def partner_session_co_signs(stack: Stack, eid: str) -> str:
    """A partner invited for their organisation accepts, and co-signs on the page."""
    made = await invite(
        stack,
        role="partner",
        organisation=PARTNER_ORGANISATION,
        experiment_id=eid,
        person={"name": "Karim Wijkconsulent"},
    )
    assert made.status_code == 201, made.text
    accepted = await accept(stack, page_path(made.json()["url"]))
    assert accepted.status_code == 303
    page = await page_showing(
        stack, f"/experiments/{eid}", "Plan medeondertekenen namens mijn organisatie"
    )
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    signed = await stack.client.post(
        f"/experiments/{eid}/decisions",
        data={"csrf": csrf.group(1), "nonce": f"co_sign-{uuid.uuid4().hex}", "type": "co_sign"},
        follow_redirects=False,
    )
    stack.client.cookies.clear()
    assert signed.status_code == 303
    location = signed.headers["location"]
    assert "done=1" in location, location
    return location


async def test_a_round_from_opening_to_endorsement_reached(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN | {"co_signers": [PARTNER_ORGANISATION]})
    opened = await decide(stack, eid, round_of(3))
    endorsement = opened["experiment"]["endorsement"]
    assert (endorsement["number"], endorsement["status"], endorsement["needed"]) == (1, "open", 3)
    assert endorsement["co_signers"] == [PARTNER_ORGANISATION]

    anna, bert = resident_key(stack, "Anna de Vries"), resident_key(stack, "Bert Jansen")
    assert (
        await vote(stack, eid, anna, {"type": "object", "comment": "te duur"})
    ).status_code == 200
    changed = await vote(stack, eid, anna, {"type": "endorse", "comment": "toch goed"})
    assert changed.json()["experiment"]["endorsement"]["objections"] == 0, "the later vote stands"
    await vote(stack, eid, bert, {"type": "endorse", "round": 1})
    evidence = await minutes(stack, eid)
    meeting = await decide(
        stack,
        eid,
        {
            "type": "record_meeting_vote",
            "rationale": "bewonersavond in het buurthuis",
            "held_on": "2026-12-02",
            "attendees": 40,
            "for": 31,
            "against": 4,
            "abstain": 3,
            "evidence": [evidence],
        },
    )
    counted = meeting["experiment"]["endorsement"]
    assert (counted["endorsements"], counted["meetings"]) == (3, ["meeting-1"])
    assert counted["status"] == "open", "the threshold is met, but the co-signer has not signed"
    refused = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json={"type": "advance", "to": "act", "rationale": "snel"},
        headers=stack.auth("pm"),
    )
    assert_error(refused, 409, "endorsement_not_reached")

    await partner_session_co_signs(stack, eid)
    moved = await decide(stack, eid, {"type": "advance", "to": "act", "rationale": "gesteund"})
    assert moved["experiment"]["stage"] == "act"
    final = moved["experiment"]["endorsement"]
    assert (final["status"], final["co_signed"]) == ("reached", [PARTNER_ORGANISATION])

    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": moved["position"]},
        headers=stack.auth("evaluator"),
    )
    by_type = {d["type"]: d for d in history.json()["items"]}
    assert by_type["endorsement_reached"]["payload"] == {
        "round": 1,
        "endorsements": 3,
        "objections": 0,
        "needed": 3,
    }
    assert by_type["co_sign"]["actor"]["role"] == "partner"
    assert by_type["co_sign"]["payload"] == {"organisation": PARTNER_ORGANISATION}
    assert by_type["record_meeting_vote"]["payload"]["evidence"] == [evidence]

    # Every round, with every ballot: what an evaluator reads.
    rounds = await stack.client.get(
        f"/v1/experiments/{eid}/endorsements",
        params={"min_position": moved["position"]},
        headers=stack.auth("evaluator"),
    )
    assert rounds.status_code == 200, rounds.text
    [told] = rounds.json()["items"]
    assert (told["number"], told["cycle"], told["status"], told["endorsements"]) == (
        1,
        1,
        "reached",
        3,
    )
    ballots = told["ballots"]
    assert [(b["vote"], b["standing"]) for b in ballots] == [
        ("object", False),
        ("endorse", True),
        ("endorse", True),
        ("endorse", True),
    ]
    assert [b["actor"]["name"] for b in ballots[:3]] == ["Anna de Vries"] * 2 + ["Bert Jansen"]
    assert ballots[0]["comment"] == "te duur"
    assert ballots[3]["meeting"] == {
        "held_on": "2026-12-02",
        "for": 31,
        "against": 4,
        "abstain": 3,
        "attendees": 40,
    }
    assert ballots[3]["evidence"] == [evidence]
    assert told["co_signed"] == [PARTNER_ORGANISATION]
    other_town = await stack.client.get(
        f"/v1/experiments/{eid}/endorsements", headers=stack.auth("zwolle")
    )
    assert_error(other_town, 404)


async def test_a_share_counts_the_residents_invited_to_the_experiment(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    nobody = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json=round_of_one() | {"threshold": {"share": 0.5}},
        headers=stack.auth("pm"),
    )
    assert_error(nobody, 409, "no_residents_invited")
    for n in range(5):
        made = await invite(stack, experiment_id=eid, person={"name": f"Bewoner {n}"})
        assert made.status_code == 201, made.text
    opened = await decide(
        stack, eid, round_of_one() | {"threshold": {"share": 0.5}, "electorate": 900}
    )
    endorsement = opened["experiment"]["endorsement"]
    assert (endorsement["electorate"], endorsement["needed"]) == (5, 3), "not the caller's 900"


def _bad(here: str, elsewhere: str) -> list[tuple[str, str, dict[str, Any], int, str]]:
    """(case, who, body, status, code or field) for an experiment with an open round of two."""
    meeting = {
        "type": "record_meeting_vote",
        "rationale": "bewonersavond",
        "held_on": "2026-12-01",
        "attendees": 10,
        "for": 6,
        "against": 2,
        "abstain": 1,
        "evidence": [elsewhere],
    }
    return [
        ("a second round while one is open", "pm", round_of(2), 409, "round_already_open"),
        ("a vote by a programme manager", "pm", {"type": "endorse"}, 403, "role_not_allowed"),
        ("a vote by an evaluator", "evaluator", {"type": "endorse"}, 403, "forbidden"),
        (
            "a vote for another round",
            "resident",
            {"type": "endorse", "round": 7},
            409,
            "wrong_round",
        ),
        (
            "an advance without endorsement_reached",
            "pm",
            {"type": "advance", "to": "act", "rationale": "x"},
            409,
            "endorsement_not_reached",
        ),
        (
            "one person's click",
            "resident",
            {"type": "endorse_plan", "rationale": "ja"},
            409,
            "endorsement_by_round",
        ),
        ("a meeting vote with negative numbers", "pm", meeting | {"against": -2}, 422, "against"),
        ("more votes than attendees", "pm", meeting | {"for": 9}, 422, "attendees"),
        ("a meeting vote without evidence", "pm", meeting | {"evidence": None}, 422, "evidence"),
        ("a meeting vote on another experiment's file", "pm", meeting, 404, "evidence_not_found"),
        (
            "a meeting not held yet",
            "pm",
            meeting | {"held_on": "2099-01-01", "evidence": [here]},
            409,
            "held_on_in_future",
        ),
        ("a co-signature by no organisation", "partner", {"type": "co_sign"}, 422, "organisation"),
        (
            "a closing taken by hand",
            "pm",
            {"type": "endorsement_reached", "round": 1, "rationale": "x"},
            403,
            "role_not_allowed",
        ),
    ]


async def test_bad_round_inputs_are_refused_and_store_nothing(stack: Stack) -> None:
    other = (await start(stack))["id"]
    elsewhere = await minutes(stack, other)
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    before_round = [
        ("a vote outside an open round", "resident", {"type": "endorse"}, 409, "no_open_round"),
        ("a threshold of 0", "pm", round_of(0), 422, "threshold.count"),
        (
            "a share above 1",
            "pm",
            round_of_one() | {"threshold": {"share": 1.5}},
            422,
            "threshold.share",
        ),
        (
            "a closes_on in the past",
            "pm",
            round_of(2, closes_on="2020-01-01"),
            409,
            "closes_on_in_past",
        ),
        ("a closes_on that is no date", "pm", round_of(2, closes_on="morgen"), 422, "closes_on"),
        ("the last day there is", "pm", round_of(2, closes_on="9999-12-31"), 422, "closes_on"),
        ("a round of years", "pm", round_of(2, closes_on="2099-01-01"), 409, "closes_on_too_far"),
    ]
    await _each_refused(stack, eid, before_round)
    here = await minutes(stack, eid)
    await decide(stack, eid, round_of(2))
    await _each_refused(stack, eid, _bad(here, elsewhere))


async def _each_refused(
    stack: Stack, eid: str, cases: list[tuple[str, str, dict[str, Any], int, str]]
) -> None:
    kept = len(stored_history(stack.runtime.experiments, UUID(eid)))
    for case, who, body, status, code in cases:
        answer = await stack.client.post(
            f"/v1/experiments/{eid}/decisions",
            json=body,
            headers={**stack.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )
        error = assert_error(answer, status)
        assert code in (error["code"], error.get("field")), (case, error)
        assert len(stored_history(stack.runtime.experiments, UUID(eid))) == kept, case


async def test_a_finding_for_residents_by_a_manager_needs_whom_and_evidence(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    await decide(stack, eid, round_of_one())
    await vote(stack, eid, stack.auth("resident"), {"type": "endorse"})
    await decide(stack, eid, {"type": "advance", "to": "act", "rationale": "gesteund"})
    said = {"type": "record_finding", "text": "Bewoners zeggen: het werkt", "source": "residents"}
    await _each_refused(
        stack,
        eid,
        [
            ("without on_behalf_of", "pm", said, 409, "on_behalf_of_required"),
            (
                "without evidence",
                "pm",
                said | {"on_behalf_of": "bewonersavond"},
                409,
                "evidence_required",
            ),
        ],
    )
    evidence = await minutes(stack, eid)
    taken = await decide(
        stack, eid, said | {"on_behalf_of": "bewonersavond 2 december", "evidence": [evidence]}
    )
    assert taken["experiment"]["resident_findings_this_cycle"] == 1


async def test_a_manager_records_a_meeting_vote_on_the_page_with_its_minutes(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    await open_session(stack, "pm")
    try:
        page = await page_showing(stack, f"/experiments/{eid}", 'name="csrf"')
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        opened = await stack.client.post(
            f"/experiments/{eid}/decisions",
            data={
                "csrf": csrf.group(1),
                "nonce": uuid.uuid4().hex,
                "type": "open_endorsement",
                "rationale": "bewonersavond",
                "closes_on": round_closing_on(14),
                "threshold_kind": "share",
                "threshold_value": "abc",
            },
            follow_redirects=False,
        )
        assert "field=threshold.share" in opened.headers["location"], "a percentage, in words"
        meeting = {
            "csrf": csrf.group(1),
            "type": "record_meeting_vote",
            "rationale": "bewonersavond in het buurthuis",
            "held_on": "2026-12-02",
            "attendees": "40",
            "for": "31",
            "against": "4",
            "abstain": "3",
        }
        opened = await stack.client.post(
            f"/experiments/{eid}/decisions",
            data={
                "csrf": csrf.group(1),
                "nonce": uuid.uuid4().hex,
                "type": "open_endorsement",
                "rationale": "bewonersavond",
                "closes_on": round_closing_on(14),
                "threshold_kind": "count",
                "threshold_value": "1",
            },
            follow_redirects=False,
        )
        assert "done=1" in opened.headers["location"], opened.headers["location"]
        without = await stack.client.post(
            f"/experiments/{eid}/decisions",
            data={**meeting, "nonce": uuid.uuid4().hex},
            follow_redirects=False,
        )
        assert "field=evidence" in without.headers["location"], "the minutes are required"
        taken = await stack.client.post(
            f"/experiments/{eid}/decisions",
            data={**meeting, "nonce": uuid.uuid4().hex},
            files={
                "evidence_file": ("verslag.txt", b"31 voor, 4 tegen, 3 onthouden", "text/plain")
            },
            follow_redirects=False,
        )
        assert "done=1" in taken.headers["location"], taken.headers["location"]
        shown = await stack.client.get(taken.headers["location"])
        assert "gehaald: bewoners steunen het plan" in shown.text, "a meeting's vote counts as one"
        assert "elke bijeenkomst telt als één stem" in shown.text
    finally:
        stack.client.cookies.clear()
