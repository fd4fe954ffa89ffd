"""Erasure in an immutable history: after a resident is erased, nothing of theirs is readable
anywhere (every table, the workflow histories, the CSV, the logs), and the decisions stand.
Reads of histories and exports leave access records."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from typing import Any

import psycopg
import pytest
from psycopg import sql
from temporalio.testing import WorkflowEnvironment

from projections.rebuild import rebuild
from tests.api.conftest import Stack, experiment_body, open_session, round_of_one
from tests.builders import record_opener

NAME = "Fatima Özdemir-Verhoeven"
CONTACT = "fatima.ozdemir@voorbeeld.nl"
# Her own words, each unmistakable, so a stray copy anywhere is found.
WORDS = [
    "Mijn buurvrouw op driehoog stookt niet meer sinds de coach langskwam — zonnebloempit",
    "Ik durfde de energierekening eindelijk te openen, 🌻 dankzij de koffieochtend — walnootschil",
    "Leer: begin bij de koffietafel, niet bij het formulier — pimpernelzaad",
    "In de tweede ronde kwamen er drie buren mee naar de bijeenkomst — hazelnootdop",
    "Buren vertrouwen buren meer dan de gemeente — lijsterbesje",
    "Eindelijk een plan dat bij onze portiek past — vlierbessap",
]
# Her comment on her vote for the plan.
VOTE_COMMENT = WORDS[5]
PERSONAL = [NAME, CONTACT, *WORDS]


async def decide(stack: Stack, who: str | dict[str, str], experiment_id: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    headers = stack.auth(who) if isinstance(who, str) else who
    response = await stack.client.post(
        f"/v1/experiments/{experiment_id}/decisions",
        json=body,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def cycle(
    stack: Stack, resident: dict[str, str], experiment_id: str, n: int, person_id: str | None
) -> int:
    """One whole cycle in which the resident endorses, reports and draws a lesson."""
    await decide(
        stack,
        "pm",
        experiment_id,
        {
            "type": "revise_plan",
            "rationale": f"plan voor ronde {n}",
            "description": "Een energiecoach per portiek",
            "indicators": [{"name": "huishoudens bereikt", "target": "40"}],
        },
    )
    await decide(stack, "pm", experiment_id, round_of_one())
    await decide(stack, resident, experiment_id, {"type": "endorse", "comment": VOTE_COMMENT})
    await decide(stack, "pm", experiment_id, {"type": "advance", "to": "act", "rationale": "go"})
    await decide(
        stack,
        resident,
        experiment_id,
        {"type": "record_finding", "text": WORDS[0 if n == 1 else 3], "source": "residents"},
    )
    # A programme manager records her account, naming her (by id, then by name and contact).
    person = {"id": person_id} if person_id else {"name": NAME, "contact": CONTACT}
    await decide(
        stack,
        "pm",
        experiment_id,
        {
            "type": "record_finding",
            "text": WORDS[1] if n == 1 else WORDS[1] + " (ronde 2)",
            "source": "professionals",
            "person": person,
        },
    )
    await decide(
        stack, "pm", experiment_id, {"type": "advance", "to": "evaluate", "rationale": "x"}
    )
    await decide(stack, "pm", experiment_id, {"type": "advance", "to": "learn", "rationale": "x"})
    answer = await decide(
        stack,
        resident,
        experiment_id,
        {"type": "record_lesson", "text": WORDS[2] if n == 1 else WORDS[4]},
    )
    return int(answer["position"])


async def evaluator_history(stack: Stack, experiment_id: str, position: int) -> list[Any]:
    """The history as an evaluator reads it, once `position` is projected."""
    answer = await stack.client.get(
        f"/v1/experiments/{experiment_id}/decisions",
        params={"min_position": position, "limit": 200},
        headers=stack.auth("evaluator"),
    )
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


def dump_database(conninfo: str) -> list[str]:
    """Every row of every table in the database, as text; bytes decoded (and inflated)."""
    texts: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        assert tables
        for schema, table in tables:
            for row in conn.execute(
                sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            ):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        raw = bytes(value)
                        with contextlib.suppress(zlib.error):
                            raw = zlib.decompress(raw)
                        texts.append(raw.decode("utf-8", "replace"))
                    else:
                        texts.append(str(value))
    return texts


def leaks(texts: list[str] | str) -> list[str]:
    blob = texts if isinstance(texts, str) else "\n".join(texts)
    blob = blob.casefold()
    found = [p for p in PERSONAL if p.casefold() in blob]
    # A word of her account alone gives her away too.
    found += [w.rsplit("— ", 1)[1] for w in WORDS if w.rsplit("— ", 1)[1] in blob]
    return found


async def workflow_histories(dev_server: WorkflowEnvironment, experiment_id: str) -> bytes:
    client = dev_server.client
    blobs = []
    async for execution in client.list_workflows(f"WorkflowId = 'experiment-{experiment_id}'"):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        blobs.append(history.to_json().encode())
        blobs.append(b"".join(e.SerializeToString() for e in history.events))
    assert blobs, "no workflow history found"
    return b"\n".join(blobs)


def history_leaks(blob: bytes) -> list[str]:
    import base64
    import re

    # Payloads are base64 inside the JSON form and raw inside the binary one: check both.
    decoded = [blob]
    for match in re.finditer(rb'"data":\s*"([A-Za-z0-9+/=]+)"', blob):
        decoded.append(base64.b64decode(match.group(1)))
    return leaks(b"\n".join(decoded).decode("utf-8", "replace"))


@pytest.mark.integration
async def test_an_erased_resident_leaves_no_trace_and_the_decisions_stand(
    stack: Stack, dev_server: WorkflowEnvironment, capfd: pytest.CaptureFixture[str]
) -> None:
    token, _ = stack.keys.create("resident", "utrecht", NAME, CONTACT)
    resident = {"Authorization": f"Bearer {token}"}
    started = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(title="Koffie en kilowatts"),
        headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert started.status_code == 201, started.text
    experiment_id = started.json()["id"]

    position = await cycle(stack, resident, experiment_id, 1, None)
    await decide(stack, "pm", experiment_id, {"type": "advance", "to": "plan", "rationale": "r2"})
    history = await evaluator_history(stack, experiment_id, position)
    mine = [d for d in history if d["actor"]["name"] == NAME]
    assert {d["type"] for d in mine} == {"endorse", "record_finding", "record_lesson"}
    person_id = mine[0]["actor"]["id"]
    assert person_id.startswith("prs_")
    named = [d for d in history if d["payload"].get("person", {}).get("name") == NAME]
    assert named
    assert named[0]["payload"]["person"]["id"] == person_id, "one person, not two"
    position = await cycle(stack, resident, experiment_id, 2, person_id)

    before = await evaluator_history(stack, experiment_id, position)
    # Start; a cycle of ten (revise, round, vote, reached, advance, two findings, advance,
    # advance, lesson) and the move to the next; the second cycle's ten.
    assert len(before) == 1 + 11 + 10
    state_before = (
        await stack.client.get(f"/v1/experiments/{experiment_id}", headers=stack.auth("pm"))
    ).json()
    assert leaks(str(before)), "before erasure her words are there to read"
    found = (
        await stack.client.get("/v1/lessons", params={"q": "koffietafel"}, headers=stack.auth("pm"))
    ).json()["items"]
    assert found, "her lesson is searchable before erasure"

    # An admin of another municipality cannot see or erase her.
    other = stack.keys.create("admin", "zwolle", "beheer zwolle")[0]
    refused = await stack.client.post(
        f"/v1/people/{person_id}/erasure", headers={"Authorization": f"Bearer {other}"}
    )
    assert refused.status_code == 404
    assert (
        await stack.client.post(f"/v1/people/{person_id}/erasure", headers=stack.auth("pm"))
    ).status_code == 403

    erased = await stack.client.post(f"/v1/people/{person_id}/erasure", headers=stack.auth("admin"))
    assert erased.status_code == 200, erased.text
    erasure = erased.json()
    assert erasure["person_id"] == person_id
    assert erasure["position"] > position
    again = await stack.client.post(f"/v1/people/{person_id}/erasure", headers=stack.auth("admin"))
    assert again.status_code == 200
    assert again.json()["position"] == erasure["position"]

    after = await evaluator_history(stack, experiment_id, erasure["position"])
    # The decisions stand: same ids, same order, same roles, moments and reasons.
    assert [
        (d["decision_id"], d["type"], d["actor"]["role"], d["at"], d["rationale"]) for d in after
    ] == [
        (d["decision_id"], d["type"], d["actor"]["role"], d["at"], d["rationale"]) for d in before
    ]
    assert [d["actor"]["name"] for d in after if d["actor"]["id"] == person_id] == [
        "erased person"
    ] * 6
    assert not leaks(str(after))
    # Her vote still counts, and the round's outcome stands.
    votes = [d for d in after if d["type"] == "endorse"]
    assert [d["payload"]["voter"] for d in votes] == [person_id, person_id]
    assert [d["payload"]["text"] for d in votes] == ["erased person", "erased person"]
    state_after = (
        await stack.client.get(
            f"/v1/experiments/{experiment_id}",
            params={"min_position": erasure["position"]},
            headers=stack.auth("pm"),
        )
    ).json()
    assert state_after["endorsement"] == state_before["endorsement"]
    assert state_after["endorsement"]["status"] == "reached"
    assert any(d["payload"].get("text") == "erased person" for d in after)
    assert not (
        await stack.client.get("/v1/lessons", params={"q": "koffietafel"}, headers=stack.auth("pm"))
    ).json()["items"]

    # Her key no longer works, and she cannot be named in a decision again.
    assert (await stack.client.get("/v1/experiments", headers=resident)).status_code == 401
    refused = await stack.client.post(
        f"/v1/experiments/{experiment_id}/decisions",
        json={
            "type": "record_finding",
            "text": "x",
            "source": "residents",
            "person": {"id": person_id},
        },
        headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "person_erased"

    csv = await stack.client.get(
        f"/v1/experiments/{experiment_id}/decisions",
        headers={**stack.auth("evaluator"), "Accept": "text/csv"},
    )
    assert csv.status_code == 200
    assert "erased person" in csv.text
    assert not leaks(csv.text)

    # The page an evaluator reads, in Dutch.
    await open_session(stack, "evaluator")
    try:
        page = await stack.client.get(f"/experiments/{experiment_id}")
    finally:
        stack.client.cookies.clear()
    assert page.status_code == 200
    assert "gewiste persoon" in page.text
    assert not leaks(page.text)

    texts = await asyncio.to_thread(dump_database, stack.runtime.database.conninfo)
    assert not leaks(texts), "a personal string is left in the database"
    assert not history_leaks(await workflow_histories(dev_server, experiment_id))
    captured = capfd.readouterr()
    assert not leaks(captured.out + captured.err), "a personal string reached the logs"

    # Every history read and export by the evaluator left an access record.
    records = (
        await stack.client.get(
            "/v1/access-records",
            params={"experiment_id": experiment_id, "limit": 500},
            headers=stack.auth("admin"),
        )
    ).json()["items"]
    by_evaluator = [r for r in records if r["role"] == "evaluator"]
    assert [r["action"] for r in by_evaluator].count("history") == 4  # three calls, one page
    assert [r["action"] for r in by_evaluator].count("export") == 1
    assert all(
        r["municipality"] == "utrecht" and r["actor_id"].startswith("prs_") for r in by_evaluator
    )
    assert (
        await stack.client.get("/v1/access-records", headers=stack.auth("evaluator"))
    ).status_code == 403

    # A rebuild from the store, where her key is gone, shows exactly what the projector made.
    await asyncio.to_thread(rebuild, stack.runtime.database, record_opener(stack.runtime.database))
    rebuilt = (
        await stack.client.get(
            f"/v1/experiments/{experiment_id}/decisions",
            params={"limit": 200},
            headers=stack.auth("pm"),
        )
    ).json()["items"]
    assert rebuilt == after


MANAGER = "Wilhelmina Oosterbroek-Tjeenk"


@pytest.mark.integration
async def test_an_erased_programme_manager_is_no_longer_named_in_the_programmes_record(
    stack: Stack,
) -> None:
    token, _ = stack.keys.create("programme_manager", "utrecht", MANAGER, "w.oosterbroek@x.nl")
    manager = {"Authorization": f"Bearer {token}"}
    created = await stack.client.post(
        "/v1/programmes",
        json={
            "name": "Wijkaanpak Kanaleneiland",
            "description": "Samen met bewoners",
            "neighbourhoods": ["WK034405"],
            "period": {"from_year": 2026, "to_year": 2030},
            "funding": [{"source": "sociaal domein", "year": 2026, "amount_eur": 1000}],
        },
        headers={**manager, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert created.status_code == 201, created.text
    programme_id = created.json()["programme"]["id"]
    allocated = await stack.client.post(
        f"/v1/programmes/{programme_id}/decisions",
        json={
            "type": "allocate_funding",
            "source": "wonen",
            "year": 2027,
            "amount_eur": 500,
            "rationale": "de woningcorporatie doet mee",
        },
        headers={**manager, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert allocated.status_code == 200, allocated.text

    async def decisions() -> list[Any]:
        answer = await stack.client.get(
            f"/v1/programmes/{programme_id}/decisions", headers=stack.auth("pm")
        )
        if answer.status_code == 404:  # not projected yet
            return []
        assert answer.status_code == 200, answer.text
        items: list[Any] = answer.json()["items"]
        return items

    async def named(name: str) -> bool:
        found = await decisions()
        return len(found) == 2 and all(d["actor"]["name"] == name for d in found)

    try:
        await asyncio.wait_for(_until(lambda: named(MANAGER)), 20)
    except TimeoutError:
        raise AssertionError(await decisions()) from None
    person_id = (await decisions())[0]["actor"]["id"]
    assert person_id.startswith("prs_")
    erased = await stack.client.post(f"/v1/people/{person_id}/erasure", headers=stack.auth("admin"))
    assert erased.status_code == 200, erased.text
    await asyncio.wait_for(_until(lambda: named("erased person")), 20)

    texts = await asyncio.to_thread(dump_database, stack.runtime.database.conninfo)
    assert not any(MANAGER.casefold() in t.casefold() for t in texts), "her name is left"
    before = await decisions()
    await asyncio.to_thread(rebuild, stack.runtime.database, record_opener(stack.runtime.database))
    assert await decisions() == before, "a rebuild without her key shows the same"


async def _until(check: Any) -> None:
    while not await check():
        await asyncio.sleep(0.1)
