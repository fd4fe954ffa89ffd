"""The privacy guide's table of who reads what, walked against the running service: for
every role and every permission, the API and the pages allow exactly what the table says."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from domain.access import PERMISSIONS, Permission
from domain.values import Role
from tests.api.conftest import Stack, experiment_body, open_session, projected
from tests.api.test_contract import decide
from tests.api.test_webhooks import in_act

ROLE_OF = {
    Role.RESIDENT: "resident",
    Role.PROGRAMME_MANAGER: "pm",
    Role.EVALUATOR: "evaluator",
    Role.INTEGRATION: "integration",
    Role.ADMIN: "admin",
    Role.PARTNER: "partner",
}

Probe = Callable[[Stack, str, str], Awaitable[list[bool]]]


async def page(stack: Stack, who: str, path: str) -> httpx.Response:
    await open_session(stack, who)
    try:
        return await stack.client.get(path)
    finally:
        stack.client.cookies.clear()


def allowed(response: httpx.Response, ok: int = 200) -> bool:
    assert response.status_code in (ok, 401, 403), (response.status_code, response.text[:300])
    return response.status_code == ok


async def sign_in(stack: Stack, who: str, eid: str) -> list[bool]:
    stack.client.cookies.clear()
    await stack.client.get("/sign-in")
    csrf = stack.client.cookies.get("wijklab_csrf")
    try:
        answer = await stack.client.post(
            "/sign-in", data={"csrf": csrf, "token": stack.tokens[who]}, follow_redirects=False
        )
    finally:
        stack.client.cookies.clear()
    return [allowed(answer, 303)]


async def read(stack: Stack, who: str, eid: str) -> list[bool]:
    auth = stack.auth(who)
    answers = [
        await stack.client.get("/v1/experiments", headers=auth),
        await stack.client.get(f"/v1/experiments/{eid}", headers=auth),
        await stack.client.get(f"/v1/experiments/{eid}/decisions", headers=auth),
        await stack.client.get(
            f"/v1/experiments/{eid}/decisions", headers={**auth, "Accept": "text/csv"}
        ),
        await stack.client.get("/v1/lessons", headers=auth),
    ]
    seen = [allowed(a) for a in answers]
    if Permission.SIGN_IN in permissions_of(who):
        for path in ("/experiments", f"/experiments/{eid}", f"/experiments/{eid}/decisions.csv"):
            seen.append(allowed(await page(stack, who, path)))
    return seen


async def read_past_state(stack: Stack, who: str, eid: str) -> list[bool]:
    at = datetime.now(UTC).isoformat()
    seen = [
        allowed(
            await stack.client.get(
                f"/v1/experiments/{eid}/state", params={"at": at}, headers=stack.auth(who)
            )
        )
    ]
    if {Permission.SIGN_IN, Permission.READ} <= permissions_of(who):
        seen.append(allowed(await page(stack, who, f"/experiments/{eid}?at={at[:10]}")))
    return seen


async def start_experiment(stack: Stack, who: str, eid: str) -> list[bool]:
    answer = await stack.client.post(
        "/v1/experiments", json=experiment_body(), headers=stack.auth(who)
    )
    return [allowed(answer, 201)]


async def decide_on(stack: Stack, who: str, eid: str) -> list[bool]:
    # A finding is allowed to deciders in act; the one here is in act, so refusal is by role.
    answer = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json={"type": "record_finding", "text": "gezien", "source": "professionals"},
        headers=stack.auth(who),
    )
    return [allowed(answer)]


async def invite(stack: Stack, who: str, eid: str) -> list[bool]:
    body = {"role": "resident", "person": {"name": "Walk Tester", "contact": "06-1"}}
    answer = await stack.client.post("/v1/invitations", json=body, headers=stack.auth(who))
    listed = await stack.client.get("/v1/invitations", headers=stack.auth(who))
    return [allowed(answer, 201), allowed(listed)]


async def manage_people(stack: Stack, who: str, eid: str) -> list[bool]:
    auth = stack.auth(who)
    return [
        allowed(await stack.client.get("/v1/people", headers=auth)),
        allowed(await stack.client.get("/v1/access-records", headers=auth)),
    ]


PROBES: dict[Permission, Probe] = {
    Permission.SIGN_IN: sign_in,
    Permission.READ: read,
    Permission.READ_PAST_STATE: read_past_state,
    Permission.START_EXPERIMENT: start_experiment,
    Permission.DECIDE: decide_on,
    Permission.INVITE: invite,
    Permission.MANAGE_PEOPLE: manage_people,
}


def permissions_of(who: str) -> set[Permission]:
    role = next(role for role, name in ROLE_OF.items() if name == who)
    return {p for p, roles in PERMISSIONS.items() if role in roles}


async def test_every_role_may_do_exactly_what_the_table_says(stack: Stack) -> None:
    # Keys are made on the command line; the admin pages will walk `manage_keys` too.
    assert set(PROBES) == set(Permission) - {Permission.MANAGE_KEYS}
    eid = await in_act(stack)
    await projected(stack, eid)
    for role, who in ROLE_OF.items():
        for permission, probe in PROBES.items():
            expected = role in PERMISSIONS[permission]
            seen = await probe(stack, who, eid)
            assert seen == [expected] * len(seen), (who, permission.value, seen)


async def test_no_reader_sees_the_contact_of_a_person_named_in_a_decision(stack: Stack) -> None:
    eid = await in_act(stack)
    named = {"name": "Fatima Yilmaz", "contact": "fatima@example.nl"}
    last = await decide(
        stack,
        eid,
        {
            "type": "record_finding",
            "text": "zij vertelde",
            "source": "professionals",
            "person": named,
        },
    )
    for who in ("pm", "resident", "evaluator", "everywhere"):
        auth = stack.auth(who)
        history = await stack.client.get(
            f"/v1/experiments/{eid}/decisions",
            params={"min_position": last["position"]},
            headers=auth,
        )
        exported = await stack.client.get(
            f"/v1/experiments/{eid}/decisions", headers={**auth, "Accept": "text/csv"}
        )
        assert history.status_code == exported.status_code == 200
        assert "Fatima Yilmaz" in history.text, "names stay: evaluators need who decided"
        assert "fatima@example.nl" not in history.text + exported.text, who
        assert list(csv.reader(io.StringIO(exported.text)))
    shown = await page(stack, "pm", f"/experiments/{eid}")
    assert "fatima@example.nl" not in shown.text
