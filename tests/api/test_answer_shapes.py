"""Every answer is described by its model in `/openapi.json`: each body validates against the
model, and holds no field the model leaves out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from services.api import answers
from tests.api.conftest import Stack, experiment_body, round_of_one
from tests.api.test_contract import PLAN


def described(model: type[BaseModel], body: Any) -> None:
    undeclared = list(_undeclared(model.model_validate(body), ""))
    assert not undeclared, f"{model.__name__} leaves out {undeclared}"


def _undeclared(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, BaseModel):
        yield from (path + key for key in value.model_extra or {})
        for name in type(value).model_fields:
            yield from _undeclared(getattr(value, name), f"{path}{name}.")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _undeclared(item, f"{path}{i}.")


async def test_every_answer_has_the_shape_its_model_describes(stack: Stack) -> None:
    client, pm = stack.client, stack.auth("pm")
    started = await client.post(
        "/v1/experiments", json=experiment_body(), headers={**pm, "Idempotency-Key": "shape-1"}
    )
    assert started.status_code == 201
    described(answers.StartedExperiment, started.json())
    experiment_id = started.json()["id"]
    decided = await client.post(f"/v1/experiments/{experiment_id}/decisions", json=PLAN, headers=pm)
    assert decided.status_code == 200
    described(answers.DecisionAnswer, decided.json())
    position = decided.json()["position"]

    reads: list[tuple[str, type[BaseModel], dict[str, str]]] = [
        (f"/v1/experiments/{experiment_id}?min_position={position}", answers.Experiment, pm),
        ("/v1/experiments", answers.Page[answers.Experiment], pm),
        (f"/v1/experiments/{experiment_id}/decisions", answers.Page[answers.HistoryEntry], pm),
        (
            f"/v1/experiments/{experiment_id}/state?at=2100-01-01T00:00:00Z",
            answers.ExperimentAsOf,
            pm,
        ),
        ("/v1/lessons", answers.Page[answers.Lesson], pm),
        ("/v1/neighbourhoods", answers.Page[answers.NeighbourhoodSummary], pm),
        ("/v1/themes", answers.Page[answers.ThemeSummary], pm),
        ("/v1/people", answers.Page[answers.Person], stack.auth("admin")),
        ("/v1/access-records", answers.Page[answers.AccessRecord], stack.auth("admin")),
        ("/healthz", answers.Health, {}),
        ("/readyz", answers.Readiness, {}),
    ]
    for path, model, headers in reads:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        described(model, response.json())

    # A lesson, so that the lessons' page has an item to describe.
    resident = stack.auth("resident")
    for who, body in [
        (pm, round_of_one()),
        (resident, {"type": "endorse", "comment": "goed plan"}),
        (pm, {"type": "advance", "to": "act", "rationale": "onderschreven"}),
        (resident, {"type": "record_finding", "text": "Fijn", "source": "residents"}),
        (pm, {"type": "advance", "to": "evaluate", "rationale": "klaar"}),
        (pm, {"type": "advance", "to": "learn", "rationale": "besproken"}),
        (resident, {"type": "record_lesson", "text": "Samen gaat het beter", "themes": ["health"]}),
    ]:
        answer = await client.post(
            f"/v1/experiments/{experiment_id}/decisions", json=body, headers=who
        )
        assert answer.status_code == 200, answer.text
    # The lessons' search takes no min_position: wait for the projector instead.
    await client.get(
        f"/v1/experiments/{experiment_id}?min_position={answer.json()['position']}", headers=pm
    )
    lessons = await client.get("/v1/lessons", headers=pm)
    assert lessons.json()["items"]
    described(answers.Page[answers.Lesson], lessons.json())


async def test_every_refusal_has_the_error_shape(stack: Stack) -> None:
    client, pm = stack.client, stack.auth("pm")
    refusals = [
        await client.get("/v1/experiments"),  # 401
        await client.get("/v1/people", headers=pm),  # 403
        await client.get(f"/v1/experiments/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=pm),
        await client.post("/v1/experiments", json={"title": 1}, headers=pm),  # 422
    ]
    started = await client.post("/v1/experiments", json=experiment_body(), headers=pm)
    refusals.append(
        await client.post(
            f"/v1/experiments/{started.json()['id']}/decisions",
            json={"type": "advance", "to": "act", "rationale": "nu"},
            headers=pm,
        )
    )
    assert [r.status_code for r in refusals] == [401, 403, 404, 422, 409]
    for refusal in refusals:
        answers.ErrorBody.model_validate(refusal.json())


async def test_the_openapi_document_describes_the_answers(stack: Stack) -> None:
    document = (await stack.client.get("/openapi.json")).json()
    paths = document["paths"]

    def schema_of(path: str, method: str, status: str) -> str:
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        return str(content["schema"].get("$ref", content["schema"]))

    assert schema_of("/v1/experiments/{experiment_id}", "get", "200").endswith("/Experiment")
    assert schema_of("/v1/experiments", "post", "201").endswith("/StartedExperiment")
    assert schema_of("/v1/experiments/{experiment_id}/decisions", "post", "200").endswith(
        "/DecisionAnswer"
    )
    assert "HistoryEntry" in schema_of("/v1/experiments/{experiment_id}/decisions", "get", "200")
    for status in ("401", "404", "409", "422"):
        assert schema_of("/v1/experiments/{experiment_id}/decisions", "post", status).endswith(
            "/ErrorBody"
        )
    experiment = document["components"]["schemas"]["Experiment"]
    assert {"id", "stage", "plan", "residents_agenda"} <= set(experiment["required"])
