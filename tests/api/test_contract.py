"""The HTTP contract, endpoint by endpoint, with each error, on the real stack."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from projections.queries import ProjectionLagging
from services.api import errors as errors_module
from tests.api.conftest import Stack, endorse_by_round, experiment_body, round_of_one


@pytest.fixture(scope="module", params=["new", "version-1"])
def stack_origin(request: pytest.FixtureRequest) -> str:
    """The whole contract, on an empty database and on one made by version 1 and migrated."""
    origin: str = request.param
    return origin


PLAN = {
    "type": "revise_plan",
    "rationale": "besproken in het wijkoverleg",
    "description": "Twee buurtenergiecoaches bezoeken 200 huishoudens.",
    "indicators": [{"name": "huishoudens bezocht", "target": 200}],
    "budget": [
        {"source": "energietransitie", "amount_eur": 40000},
        {"source": "sociaal domein", "amount_eur": 12500.5},
    ],
}


async def start(
    stack: Stack, who: str = "pm", key: str | None = None, **overrides: Any
) -> dict[str, Any]:
    headers = stack.auth(who)
    if key:
        headers["Idempotency-Key"] = key
    response = await stack.client.post(
        "/v1/experiments", json=experiment_body(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def decide(
    stack: Stack,
    experiment_id: str,
    body: dict[str, Any],
    who: str = "pm",
    key: str | None = None,
    status: int = 200,
) -> dict[str, Any]:
    headers = stack.auth(who)
    if key:
        headers["Idempotency-Key"] = key
    response = await stack.client.post(
        f"/v1/experiments/{experiment_id}/decisions", json=body, headers=headers
    )
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def to_learn(stack: Stack, experiment_id: str) -> int:
    await decide(stack, experiment_id, PLAN)
    await endorse_by_round(stack, experiment_id)
    await decide(
        stack, experiment_id, {"type": "advance", "to": "act", "rationale": "plan onderschreven"}
    )
    await decide(
        stack,
        experiment_id,
        {"type": "record_finding", "text": "De coach komt echt langs.", "source": "residents"},
        who="resident",
    )
    await decide(
        stack, experiment_id, {"type": "advance", "to": "evaluate", "rationale": "periode voorbij"}
    )
    answer = await decide(
        stack, experiment_id, {"type": "advance", "to": "learn", "rationale": "geëvalueerd"}
    )
    return int(answer["position"])


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert isinstance(error["message"], str)
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


# --- starting ---------------------------------------------------------------------------


async def test_start_returns_the_experiment(stack: Stack) -> None:
    response = await stack.client.post(
        "/v1/experiments", json=experiment_body(act_days=60), headers=stack.auth("pm")
    )
    assert response.status_code == 201
    body = response.json()
    for field in (
        "id",
        "municipality",
        "neighbourhood",
        "title",
        "question",
        "residents_agenda",
        "themes",
        "cycle",
        "stage",
        "status",
        "outcome",
        "plan",
        "act_days",
        "created_at",
        "updated_at",
        "version",
    ):
        assert field in body, field
    assert (
        body["municipality"],
        body["stage"],
        body["cycle"],
        body["status"],
        body["act_days"],
    ) == ("utrecht", "plan", 1, "active", 60)
    assert response.headers["location"] == f"/v1/experiments/{body['id']}"
    shown = await stack.client.get(
        f"/v1/experiments/{body['id']}",
        params={"min_position": body["position"]},
        headers=stack.auth("evaluator"),
    )
    assert shown.status_code == 200
    assert shown.json()["title"] == "Samen warm de winter door"


async def test_residents_may_start_too(stack: Stack) -> None:
    body = await start(stack, who="resident")
    history = await stack.client.get(
        f"/v1/experiments/{body['id']}/decisions",
        params={"min_position": body["position"]},
        headers=stack.auth("pm"),
    )
    first = history.json()["items"][0]
    assert first["type"] == "start"
    assert first["actor"]["role"] == "resident"
    assert first["rationale"] == experiment_body()["residents_agenda"]


async def test_start_is_idempotent_by_key_even_at_once(stack: Stack) -> None:
    key = f"start-{uuid.uuid4()}"
    answers = await asyncio.gather(*(start(stack, key=key) for _ in range(5)))
    assert len({a["id"] for a in answers}) == 1
    assert len({a["position"] for a in answers}) == 1
    again = await start(stack, key=key)
    assert again["id"] == answers[0]["id"]
    history = await stack.client.get(
        f"/v1/experiments/{again['id']}/decisions",
        params={"min_position": again["position"]},
        headers=stack.auth("pm"),
    )
    assert [d["type"] for d in history.json()["items"]] == ["start"]
    other = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(title="anders"),
        headers={**stack.auth("pm"), "Idempotency-Key": key},
    )
    assert_error(other, 422, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"residents_agenda": ""}, "residents_agenda"),
        ({"themes": ["sport"]}, "themes"),
        ({"themes": []}, "themes"),
        ({"neighbourhood": {"code": "WK1", "name": "x", "kind": "stad"}}, "neighbourhood.kind"),
        ({"act_days": 0}, "act_days"),
    ],
)
async def test_start_refuses_bad_fields(stack: Stack, change: dict[str, Any], field: str) -> None:
    response = await stack.client.post(
        "/v1/experiments", json=experiment_body(**change), headers=stack.auth("pm")
    )
    error = assert_error(response, 422, "invalid_input")
    assert error.get("field") == field or field in error["message"]


async def test_bad_bodies(stack: Stack) -> None:
    headers = {**stack.auth("pm"), "content-type": "application/json"}
    assert_error(
        await stack.client.post("/v1/experiments", content=b"{not json", headers=headers),
        422,
        "invalid_input",
    )
    assert_error(
        await stack.client.post("/v1/experiments", content=b"[]", headers=headers),
        422,
        "invalid_input",
    )
    missing = {k: v for k, v in experiment_body().items() if k != "residents_agenda"}
    assert_error(
        await stack.client.post("/v1/experiments", json=missing, headers=headers),
        422,
        "invalid_input",
    )
    huge = b'{"title": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    assert_error(
        await stack.client.post("/v1/experiments", content=huge, headers=headers),
        413,
        "payload_too_large",
    )
    bad_key = {**stack.auth("pm"), "Idempotency-Key": "has spaces in it"}
    assert_error(
        await stack.client.post("/v1/experiments", json=experiment_body(), headers=bad_key), 422
    )


# --- authentication, roles, tenants -------------------------------------------------------


async def test_authentication(stack: Stack) -> None:
    assert_error(await stack.client.get("/v1/experiments"), 401, "unauthenticated")
    assert_error(
        await stack.client.get("/v1/experiments", headers={"Authorization": "Bearer wl_nope"}), 401
    )
    assert_error(
        await stack.client.get("/v1/experiments", headers={"Authorization": "Basic abc"}), 401
    )
    token, key_id = stack.keys.create("resident", "utrecht", "revoked soon")
    assert (
        await stack.client.get("/v1/experiments", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    stack.keys.revoke(key_id)
    assert_error(
        await stack.client.get("/v1/experiments", headers={"Authorization": f"Bearer {token}"}), 401
    )


# (who, method, path template, body) -> expected status. The role matrix, as a table.
async def test_role_matrix(stack: Stack) -> None:
    experiment = await start(stack)
    eid = experiment["id"]
    cases: list[tuple[str, str, str, Any, int]] = [
        ("pm", "POST", "/v1/experiments", experiment_body(), 201),
        ("resident", "POST", "/v1/experiments", experiment_body(), 201),
        ("evaluator", "POST", "/v1/experiments", experiment_body(), 403),
        ("integration", "POST", "/v1/experiments", experiment_body(), 403),
        ("admin", "POST", "/v1/experiments", experiment_body(), 403),
        ("everywhere", "POST", "/v1/experiments", experiment_body(), 403),
        ("pm", "GET", "/v1/experiments", None, 200),
        ("resident", "GET", "/v1/experiments", None, 200),
        ("evaluator", "GET", "/v1/experiments", None, 200),
        ("integration", "GET", "/v1/experiments", None, 403),
        ("everywhere", "GET", "/v1/experiments", None, 200),
        ("admin", "GET", "/v1/experiments", None, 403),
        ("evaluator", "GET", f"/v1/experiments/{eid}/state?at=2100-01-01T00:00:00Z", None, 200),
        ("pm", "GET", f"/v1/experiments/{eid}/state?at=2100-01-01T00:00:00Z", None, 200),
        ("resident", "GET", f"/v1/experiments/{eid}/state?at=2100-01-01T00:00:00Z", None, 403),
        ("integration", "GET", f"/v1/experiments/{eid}/state?at=2100-01-01T00:00:00Z", None, 403),
        ("pm", "POST", f"/v1/experiments/{eid}/decisions", PLAN, 200),
        ("resident", "POST", f"/v1/experiments/{eid}/decisions", round_of_one(), 403),
        ("partner", "POST", f"/v1/experiments/{eid}/decisions", round_of_one(), 403),
        (
            "pm",
            "POST",
            f"/v1/experiments/{eid}/decisions",
            round_of_one() | {"threshold": {"count": 2}},
            200,
        ),
        ("pm", "POST", f"/v1/experiments/{eid}/decisions", {"type": "endorse"}, 403),
        ("partner", "POST", f"/v1/experiments/{eid}/decisions", {"type": "object"}, 403),
        ("evaluator", "POST", f"/v1/experiments/{eid}/decisions", {"type": "endorse"}, 403),
        ("integration", "POST", f"/v1/experiments/{eid}/decisions", {"type": "endorse"}, 403),
        ("resident", "POST", f"/v1/experiments/{eid}/decisions", {"type": "endorse"}, 200),
        (
            "pm",
            "POST",
            f"/v1/experiments/{eid}/decisions",
            {"type": "endorsement_reached", "round": 1, "rationale": "x"},
            403,
        ),
        (
            "resident",
            "POST",
            f"/v1/experiments/{eid}/decisions",
            {"type": "advance", "to": "act", "rationale": "x"},
            403,
        ),
        ("resident", "POST", f"/v1/experiments/{eid}/decisions", PLAN, 403),
        (
            "evaluator",
            "POST",
            f"/v1/experiments/{eid}/decisions",
            {"type": "advance", "to": "act", "rationale": "x"},
            403,
        ),
        (
            "integration",
            "POST",
            f"/v1/experiments/{eid}/decisions",
            {"type": "advance", "to": "act", "rationale": "x"},
            403,
        ),
        (
            "admin",
            "POST",
            f"/v1/experiments/{eid}/decisions",
            {"type": "advance", "to": "act", "rationale": "x"},
            403,
        ),
        (
            "everywhere",
            "POST",
            f"/v1/experiments/{eid}/decisions",
            {"type": "advance", "to": "act", "rationale": "x"},
            403,
        ),
        ("pm", "GET", "/v1/lessons?q=bewoners", None, 200),
        ("admin", "GET", "/v1/lessons", None, 403),
    ]
    for who, method, path, body, expected in cases:
        response = await stack.client.request(method, path, json=body, headers=stack.auth(who))
        assert response.status_code == expected, (who, method, path, response.text)
        if expected >= 400:
            assert_error(response, expected)


async def test_tenants_do_not_see_each_other(stack: Stack) -> None:
    ours = await start(stack)
    theirs = await start(
        stack,
        who="zwolle",
        neighbourhood={"code": "WK019301", "name": "Stadshagen", "kind": "wijk"},
    )
    for path in (
        f"/v1/experiments/{ours['id']}",
        f"/v1/experiments/{ours['id']}/decisions",
        f"/v1/experiments/{ours['id']}/state?at=2100-01-01",
    ):
        assert_error(await stack.client.get(path, headers=stack.auth("zwolle")), 404, "not_found")
    assert_error(
        await stack.client.post(
            f"/v1/experiments/{ours['id']}/decisions", json=PLAN, headers=stack.auth("zwolle")
        ),
        404,
    )
    listed = await stack.client.get(
        "/v1/experiments",
        params={"min_position": theirs["position"], "limit": 200},
        headers=stack.auth("zwolle"),
    )
    assert {e["municipality"] for e in listed.json()["items"]} == {"zwolle"}
    everywhere = await stack.client.get(
        "/v1/experiments",
        params={"min_position": theirs["position"], "limit": 200},
        headers=stack.auth("everywhere"),
    )
    assert {"zwolle", "utrecht"} <= {e["municipality"] for e in everywhere.json()["items"]}
    assert (
        await stack.client.get(f"/v1/experiments/{theirs['id']}", headers=stack.auth("everywhere"))
    ).status_code == 200


# --- decisions ----------------------------------------------------------------------------


async def test_a_whole_cycle_with_refusals(stack: Stack) -> None:
    experiment = await start(stack)
    eid = experiment["id"]
    refused = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json={"type": "advance", "to": "act", "rationale": "snel"},
        headers=stack.auth("pm"),
    )
    error = assert_error(refused, 409, "no_plan")
    assert (error["stage"], error["allowed"]) == ("plan", ["revise_plan"])

    await decide(stack, eid, PLAN)
    refused = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json={"type": "advance", "to": "act", "rationale": "snel"},
        headers=stack.auth("pm"),
    )
    error = assert_error(refused, 409, "endorsement_not_reached")
    assert set(error["allowed"]) == {"revise_plan", "open_endorsement"}

    await to_learn_from_plan_revised(stack, eid)
    no_lesson = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json={"type": "close", "outcome": "adopted", "rationale": "klaar"},
        headers=stack.auth("pm"),
    )
    assert_error(no_lesson, 409, "no_lesson")
    await decide(
        stack,
        eid,
        {
            "type": "record_lesson",
            "text": "Bewoners vertrouwen een buurtgenoot meer.",
            "themes": ["energy_transition"],
        },
        who="resident",
    )
    answer = await decide(
        stack, eid, {"type": "advance", "to": "plan", "rationale": "volgende ronde"}
    )
    assert (answer["experiment"]["cycle"], answer["experiment"]["stage"]) == (2, "plan")
    assert_error(
        await stack.client.post(
            f"/v1/experiments/{eid}/decisions", json={"type": "jump"}, headers=stack.auth("pm")
        ),
        422,
    )
    assert_error(
        await stack.client.post(
            f"/v1/experiments/{eid}/decisions",
            json={"type": "advance", "rationale": "x"},
            headers=stack.auth("pm"),
        ),
        422,
    )
    assert_error(
        await stack.client.post(
            f"/v1/experiments/{uuid.uuid4()}/decisions", json=PLAN, headers=stack.auth("pm")
        ),
        404,
    )
    assert_error(
        await stack.client.post(
            "/v1/experiments/not-a-uuid/decisions", json=PLAN, headers=stack.auth("pm")
        ),
        422,
    )


async def to_learn_from_plan_revised(stack: Stack, eid: str) -> None:
    await endorse_by_round(stack, eid)
    await decide(stack, eid, {"type": "advance", "to": "act", "rationale": "onderschreven"})
    await decide(
        stack,
        eid,
        {"type": "record_finding", "text": "Fijn", "source": "residents"},
        who="resident",
    )
    await decide(stack, eid, {"type": "advance", "to": "evaluate", "rationale": "periode voorbij"})
    await decide(stack, eid, {"type": "advance", "to": "learn", "rationale": "geëvalueerd"})


async def test_decisions_are_idempotent_by_key(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    key = f"plan-{uuid.uuid4()}"
    answers = await asyncio.gather(*(decide(stack, eid, PLAN, key=key) for _ in range(4)))
    assert len({(a["decision_id"], a["position"]) for a in answers}) == 1
    assert answers[0]["decision_id"] == key
    later = await endorse_by_round(stack, eid)
    again = await decide(stack, eid, PLAN, key=key)
    assert (again["position"], again["experiment"]["version"]) == (answers[0]["position"], 2)
    other = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json={**PLAN, "description": "anders"},
        headers={**stack.auth("pm"), "Idempotency-Key": key},
    )
    assert_error(other, 422, "idempotency_key_reused")
    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": later["position"]},
        headers=stack.auth("pm"),
    )
    assert [d["type"] for d in history.json()["items"]] == [
        "start",
        "revise_plan",
        "open_endorsement",
        "endorse",
        "endorsement_reached",
    ]


async def test_two_managers_at_once_never_double_a_stage(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    await decide(stack, eid, PLAN)
    await endorse_by_round(stack, eid)
    body = {"type": "advance", "to": "act", "rationale": "gaan"}
    responses = await asyncio.gather(
        *(
            stack.client.post(
                f"/v1/experiments/{eid}/decisions", json=body, headers=stack.auth(who)
            )
            for who in ("pm", "pm2")
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["error"]["code"] == "invalid_transition"


async def test_closed_experiments_refuse_and_still_answer_repeats(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    await to_learn(stack, eid)
    key = f"lesson-{uuid.uuid4()}"
    lesson = {"type": "record_lesson", "text": "Klein beginnen werkt.", "themes": ["health"]}
    first = await decide(stack, eid, lesson, who="resident", key=key)
    await decide(stack, eid, {"type": "close", "outcome": "adopted", "rationale": "wordt beleid"})
    assert_error(
        await stack.client.post(
            f"/v1/experiments/{eid}/decisions", json=lesson, headers=stack.auth("resident")
        ),
        409,
        "experiment_closed",
    )
    again = await decide(stack, eid, lesson, who="resident", key=key)
    assert (again["decision_id"], again["position"]) == (first["decision_id"], first["position"])


# --- reading ------------------------------------------------------------------------------


async def test_history_pages_csv_and_past_state(stack: Stack) -> None:
    eid = (await start(stack))["id"]
    before_plan = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.05)
    position = await to_learn(stack, eid)
    headers = stack.auth("evaluator")
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, "min_position": position}
        if cursor:
            params["cursor"] = cursor
        page = (
            await stack.client.get(
                f"/v1/experiments/{eid}/decisions", params=params, headers=headers
            )
        ).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [d["type"] for d in seen] == [
        "start",
        "revise_plan",
        "open_endorsement",
        "endorse",
        "endorsement_reached",
        "advance",
        "record_finding",
        "advance",
        "advance",
    ]
    for field in (
        "decision_id",
        "type",
        "cycle",
        "stage",
        "actor",
        "rationale",
        "payload",
        "source",
        "at",
        "position",
    ):
        assert field in seen[0]
    assert seen[5]["stage"] == "plan"
    assert seen[5]["payload"] == {"to": "act"}
    assert (seen[4]["source"], seen[4]["actor"]["role"]) == ("timer", "system")

    exported = await stack.client.get(
        f"/v1/experiments/{eid}/decisions", headers={**headers, "Accept": "text/csv"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["type"] for r in rows] == [d["type"] for d in seen]
    assert rows[3]["actor_role"] == "resident"

    past = await stack.client.get(
        f"/v1/experiments/{eid}/state", params={"at": before_plan}, headers=headers
    )
    assert past.status_code == 200
    assert (past.json()["stage"], past.json()["version"]) == ("plan", 1)
    now = await stack.client.get(
        f"/v1/experiments/{eid}/state",
        params={"at": datetime.now(UTC).isoformat()},
        headers=headers,
    )
    assert now.json()["stage"] == "learn"
    assert_error(
        await stack.client.get(
            f"/v1/experiments/{eid}/state", params={"at": "gisteren"}, headers=headers
        ),
        422,
    )
    assert_error(
        await stack.client.get(
            f"/v1/experiments/{eid}/state", params={"at": "2000-01-01"}, headers=headers
        ),
        404,
    )
    assert_error(
        await stack.client.get(
            f"/v1/experiments/{eid}/decisions", params={"cursor": "!!"}, headers=headers
        ),
        422,
    )


async def test_list_filters_and_lessons(stack: Stack) -> None:
    eid = (
        await start(
            stack,
            neighbourhood={"code": "kern-ommen", "name": "Ommen", "kind": "kern"},
            themes=["physical_environment"],
        )
    )["id"]
    await to_learn(stack, eid)
    answer = await decide(
        stack,
        eid,
        {
            "type": "record_lesson",
            "text": "De bewoners willen zelf het groen onderhouden.",
            "themes": ["physical_environment"],
        },
        who="resident",
    )
    headers = stack.auth("pm")
    params = {"min_position": answer["position"]}
    found = (
        await stack.client.get(
            "/v1/experiments", params={**params, "neighbourhood": "kern-ommen"}, headers=headers
        )
    ).json()
    assert [e["id"] for e in found["items"]] == [eid]
    assert found["next_cursor"] is None
    assert [
        e["id"]
        for e in (
            await stack.client.get(
                "/v1/experiments",
                params={
                    **params,
                    "theme": "physical_environment",
                    "stage": "learn",
                    "status": "active",
                },
                headers=headers,
            )
        ).json()["items"]
    ] == [eid]
    assert (
        await stack.client.get(
            "/v1/experiments",
            params={**params, "neighbourhood": "kern-ommen", "stage": "act"},
            headers=headers,
        )
    ).json()["items"] == []
    lessons = (
        await stack.client.get("/v1/lessons", params={"q": "bewoner groen"}, headers=headers)
    ).json()
    assert [lesson["experiment_id"] for lesson in lessons["items"]] == [eid]
    assert (
        await stack.client.get(
            "/v1/lessons", params={"q": "groen", "theme": "safety"}, headers=headers
        )
    ).json()["items"] == []
    assert (
        await stack.client.get("/v1/lessons", params={"q": "bewoner"}, headers=stack.auth("zwolle"))
    ).json()["items"] == []


async def test_min_position(stack: Stack) -> None:
    written = await start(stack)
    shown = await stack.client.get(
        f"/v1/experiments/{written['id']}",
        params={"min_position": written["position"]},
        headers=stack.auth("pm"),
    )
    assert shown.status_code == 200
    beyond = await stack.client.get(
        "/v1/experiments", params={"min_position": 10**9}, headers=stack.auth("pm")
    )
    assert_error(beyond, 422, "invalid_input")


def test_a_lagging_projection_answers_503_with_retry_after() -> None:
    response = errors_module.domain_response(ProjectionLagging("behind", position=3, wanted=9))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert json.loads(response.body)["error"] == {
        "code": "projection_lagging",
        "message": "behind",
        "position": 3,
        "min_position": 9,
    }


# --- operations and odd requests -----------------------------------------------------------


async def test_operations_endpoints(stack: Stack) -> None:
    assert (await stack.client.get("/healthz")).json() == {"status": "ok"}
    ready = await stack.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["temporal"] == "ok"
    metrics = (await stack.client.get("/metrics")).text
    for name in (
        "wijklab_http_requests_total",
        "wijklab_http_request_seconds_bucket",
        "wijklab_decisions_total",
        "wijklab_projection_lag_events",
        "wijklab_projection_lag_seconds",
    ):
        assert name in metrics
    spec = (await stack.client.get("/openapi.json")).json()
    assert "/v1/experiments/{experiment_id}/decisions" in spec["paths"]
    assert (await stack.client.get("/docs")).status_code == 200


async def test_nul_characters_are_refused(stack: Stack) -> None:
    assert_error(await stack.client.get("/v1/lessons?q=a%00b", headers=stack.auth("pm")), 422)
    assert_error(await stack.client.get("/v1/experiments?theme=%00", headers=stack.auth("pm")), 422)
    body = experiment_body(title="a\u0000b")
    assert_error(
        await stack.client.post("/v1/experiments", json=body, headers=stack.auth("pm")), 422
    )


async def test_unknown_routes_and_methods(stack: Stack) -> None:
    assert_error(await stack.client.get("/v2/nothing"), 404, "not_found")
    assert_error(
        await stack.client.delete("/v1/experiments", headers=stack.auth("pm")),
        405,
        "method_not_allowed",
    )
    response = await stack.client.get("/healthz", headers={"X-Request-ID": "trace-me"})
    assert response.headers["x-request-id"] == "trace-me"
