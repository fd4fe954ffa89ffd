"""The register over HTTP: a neighbourhood's figures for its own municipality only; where a
municipality keeps a register, experiments start on its codes."""

from __future__ import annotations

import uuid

from services.infra import cbs_csv
from services.stores.neighbourhood_register import NeighbourhoodRegister
from tests.api.conftest import Stack, experiment_body
from tests.api.test_contract import assert_error
from tests.integration.test_register import SAMPLE


async def test_a_neighbourhoods_figures_and_starts_on_registered_codes(stack: Stack) -> None:
    found = cbs_csv.read(SAMPLE.read_bytes(), year=2024, municipality="utrecht")
    NeighbourhoodRegister(stack.runtime.database).keep(found.neighbourhoods, found.year)

    shown = await stack.client.get("/v1/neighbourhoods/wk034403", headers=stack.auth("pm"))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["code"], body["name"], body["kind"], body["municipality"]) == (
        "WK034403",
        "Wijk 03 Overvecht",
        "wijk",
        "utrecht",
    )
    residents = next(f for f in body["figures"] if f["key"] == "AantalInwoners")
    assert residents == {
        "key": "AantalInwoners",
        "label": "Aantal inwoners",
        "value": 35200,
        "unit": "aantal",
        "year": 2024,
        "source": "CBS Kerncijfers wijken en buurten 2024",
    }
    assert_error(
        await stack.client.get("/v1/neighbourhoods/WK034403", headers=stack.auth("zwolle")),
        404,
        "not_found",
    )
    assert_error(
        await stack.client.get("/v1/neighbourhoods/WK999999", headers=stack.auth("pm")), 404
    )
    assert_error(
        await stack.client.get(f"/v1/neighbourhoods/{'x' * 30}", headers=stack.auth("pm")), 422
    )
    assert_error(await stack.client.get("/v1/neighbourhoods/WK034403"), 401)

    unknown = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(neighbourhood={"code": "WK034499", "name": "Nergens", "kind": "wijk"}),
        headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
    )
    error = assert_error(unknown, 422, "unknown_neighbourhood")
    assert error["field"] == "neighbourhood.code"
    listed = await stack.client.get("/v1/experiments", headers=stack.auth("pm"))
    assert all(e["neighbourhood"]["code"] != "WK034499" for e in listed.json()["items"])
    known = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(
            neighbourhood={"code": "WK034403", "name": "Overvecht", "kind": "wijk"}
        ),
        headers=stack.auth("pm"),
    )
    assert known.status_code == 201, known.text
    elsewhere = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(
            neighbourhood={"code": "stadshagen", "name": "Stadshagen", "kind": "wijk"}
        ),
        headers=stack.auth("zwolle"),
    )
    assert elsewhere.status_code == 201, "a municipality without a register starts anywhere"
