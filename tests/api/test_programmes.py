"""Programmes over HTTP: created with validated decisions through their workflow, refused
inputs storing nothing, experiments started in them only in their municipality and
neighbourhoods, and the programme's page of numbers: stages, funding allocated against
planned per pot and year, indicators."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from domain.funding import year_of
from services.infra import cbs_csv
from services.stores.neighbourhood_register import NeighbourhoodRegister
from tests.api.conftest import Stack, endorse_by_round, experiment_body, wait_until
from tests.api.test_contract import assert_error, decide
from tests.api.test_hardening import services_of
from tests.integration.test_register import SAMPLE


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it."""
    read = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return read.stdout.decode("utf-8")


PROGRAMME: dict[str, Any] = {
    "name": "Wijkaanpak Overvecht",
    "description": "Twintig jaar samen met bewoners aan een gezonde, veilige wijk",
    "neighbourhoods": ["WK034403", "BU03440305"],
    "period": {"from_year": 2026, "to_year": 2045},
    "funding": [
        {"source": "sociaal domein", "year": 2026, "amount_eur": "250000"},
        {"source": "energietransitie", "year": 2026, "amount_eur": 100000},
    ],
}


async def create(stack: Stack, body: dict[str, Any], who: str = "pm") -> Any:
    return await stack.client.post(
        "/v1/programmes",
        json=body,
        headers={**stack.auth(who), "Idempotency-Key": uuid.uuid4().hex},
    )


async def shown(stack: Stack, programme_id: str, version: int, who: str = "pm") -> Any:
    """The programme once the read model has reached `version`."""
    found: list[Any] = []

    async def there() -> bool:
        answer = await stack.client.get(f"/v1/programmes/{programme_id}", headers=stack.auth(who))
        found.append(answer)
        return answer.status_code == 200 and answer.json()["version"] >= version

    await wait_until(there)
    return found[-1].json()


async def test_a_programme_with_its_experiments_funding_and_refusals(stack: Stack) -> None:
    register = cbs_csv.read(SAMPLE.read_bytes(), year=2024, municipality="utrecht")
    NeighbourhoodRegister(stack.runtime.database).keep(register.neighbourhoods, register.year)

    for change, status, code, field in (
        ({"period": {"from_year": 2030, "to_year": 2029}}, 422, "invalid_input", "period.to_year"),
        ({"period": {"from_year": 2026, "to_year": 2060}}, 422, "invalid_input", "period.to_year"),
        ({"funding": [{"source": "x", "year": 2026, "amount_eur": -5}]}, 422, "invalid_input", "funding[0]"),
        ({"funding": [{"source": "x", "year": 2026, "amount_eur": "veel"}]}, 422, "invalid_input", "funding[0]"),
        ({"funding": [{"source": "x", "year": 2050, "amount_eur": 5}]}, 422, "invalid_input", "funding[0].year"),
        ({"neighbourhoods": ["WK034403", "WK034499"]}, 422, "unknown_neighbourhood", "neighbourhoods[1]"),
    ):  # fmt: skip
        error = assert_error(await create(stack, PROGRAMME | change), status, code)
        assert error["field"].startswith(field), error
    assert_error(await create(stack, PROGRAMME, who="resident"), 403, "role_not_allowed")
    listed = await stack.client.get("/v1/programmes", headers=stack.auth("pm"))
    assert listed.json()["items"] == [], "nothing refused was stored"

    created = await create(stack, PROGRAMME)
    assert created.status_code == 201, created.text
    programme_id = created.json()["programme"]["id"]
    assert created.headers["location"] == f"/v1/programmes/{programme_id}"
    assert created.json()["programme"]["allocated_eur"] == [
        {"source": "energietransitie", "year": 2026, "amount_eur": "100000.00"},
        {"source": "sociaal domein", "year": 2026, "amount_eur": "250000.00"},
    ]
    path = f"/v1/programmes/{programme_id}/decisions"
    refused = await stack.client.post(
        path,
        json={"type": "allocate_funding", "rationale": "begroting", "source": "x", "year": 2050,
              "amount_eur": 10},
        headers=stack.auth("pm"),
    )  # fmt: skip
    assert_error(refused, 409, "year_outside_period")
    allocated = await stack.client.post(
        path,
        json={"type": "allocate_funding", "rationale": "begroting 2027", "source": "sociaal domein",
              "year": 2027, "amount_eur": "200000"},
        headers=stack.auth("pm"),
    )  # fmt: skip
    assert allocated.status_code == 200, allocated.text
    assert_error(
        await stack.client.get(f"/v1/programmes/{programme_id}", headers=stack.auth("zwolle")),
        404,
        "not_found",
    )

    inside = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(
            neighbourhood={"code": "BU03440305", "name": "Zambesidreef", "kind": "buurt"},
            programme_id=programme_id,
        ),
        headers=stack.auth("pm"),
    )
    assert inside.status_code == 201, inside.text
    assert inside.json()["programme_id"] == programme_id
    for body, who, code, field in (
        (experiment_body(neighbourhood={"code": "WK034401", "name": "West", "kind": "wijk"},
                         programme_id=programme_id), "pm", "neighbourhood_not_in_programme",
         "neighbourhood.code"),
        (experiment_body(programme_id=programme_id), "zwolle", "unknown_programme", "programme_id"),
        (experiment_body(programme_id="geen-uuid"), "pm", "invalid_input", "programme_id"),
    ):  # fmt: skip
        error = assert_error(
            await stack.client.post("/v1/experiments", json=body, headers=stack.auth(who)),
            422,
            code,
        )
        assert error["field"] == field

    experiment_id = inside.json()["id"]
    await decide(
        stack,
        experiment_id,
        {
            "type": "revise_plan",
            "rationale": "buurtgesprek",
            "description": "Buurtcoaches",
            "indicators": [
                {
                    "name": "bereik",
                    "unit": "huishoudens",
                    "baseline": {"value": 50, "at": "2025", "source": "telling 2025"},
                    "target": 200,
                }
            ],
            "budget": [{"source": "sociaal domein", "amount_eur": "40000"}],
        },
    )
    await endorse_by_round(stack, experiment_id)
    await decide(stack, experiment_id, {"type": "advance", "to": "act", "rationale": "ja"})
    for who, source, value in (("resident", "residents", 40), ("pm", "data", 120)):
        await decide(
            stack,
            experiment_id,
            {"type": "record_finding", "text": f"geteld: {value}", "source": source,
             "indicator": "bereik", "value": value},
            who=who,
        )  # fmt: skip

    async def planned() -> bool:
        found = (
            await stack.client.get(f"/v1/programmes/{programme_id}", headers=stack.auth("pm"))
        ).json()
        return any(line["planned_eur"] != "0.00" for line in found.get("funding_by_year", []))

    await wait_until(planned)
    programme = await shown(stack, programme_id, 2, who="evaluator")
    assert programme["experiments_by_stage"] == {"act": 1}
    assert [e["id"] for e in programme["experiments"]] == [experiment_id]
    year = year_of(datetime.now(UTC))  # the plan was made this year, in the Netherlands
    by_pot = {(f["source"], f["year"]): f for f in programme["funding_by_year"]}
    assert by_pot[("sociaal domein", 2027)]["allocated_eur"] == "200000.00"
    assert by_pot[("sociaal domein", year)]["planned_eur"] == "40000.00"
    assert programme["indicators"][0]["name"] == "bereik"
    history = await stack.client.get(path, headers=stack.auth("evaluator"))
    assert [d["type"] for d in history.json()["items"]] == ["create_programme", "allocate_funding"]

    async def measured() -> bool:
        found = (
            await stack.client.get(f"/v1/programmes/{programme_id}", headers=stack.auth("pm"))
        ).json()
        return any(i["divergence"] for i in found["indicators"])

    await wait_until(measured)
    report = f"/v1/programmes/{programme_id}/report"
    pdf = await stack.client.get(
        report,
        params={"year": 2026},
        headers={**stack.auth("evaluator"), "Accept": "application/pdf"},
    )
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = " ".join(pdf_text(pdf.content).split())  # lines wrap where the page ends them
    assert "Voortgangsrapportage 2026: Wijkaanpak Overvecht" in text
    assert "€ 250.000,00" in text, "Dutch money"
    assert "€ 200.000,00" in text
    assert "Zambesidreef" in text
    assert "Bewoners ervaren het anders dan de cijfers." in text
    assert "In cyclus 1 maten bewoners 40 en de cijfers 120" in text
    # The year's rounds, per neighbourhood: the plan was put to residents and endorsed.
    said = text.split("De stem van bewoners in 2026", 1)[1].split("Geld per jaar", 1)[0]
    # Per neighbourhood: one plan settled, its support reached, one vote for, none against.
    assert "Zambesidreef 1 1 0 0 1 0" in said, said
    html = await stack.client.get(
        report, params={"year": 2026}, headers={**stack.auth("pm"), "Accept": "text/html"}
    )
    assert html.status_code == 200
    assert 'role="img"' in html.text
    assert '<th scope="col" class="num">Steun gehaald</th>' in html.text
    assert "<script" not in html.text
    assert_error(
        await stack.client.get(report, params={"year": 2050}, headers=stack.auth("pm")),
        422,
        "invalid_input",
    )
    assert_error(
        await stack.client.get(report, params={"year": 2026}, headers=stack.auth("zwolle")), 404
    )

    closing = {"type": "close_programme", "rationale": "opgeleverd"}
    closed = await stack.client.post(
        path, json=closing, headers={**stack.auth("pm"), "Idempotency-Key": "sluiten-1"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["programme"]["status"] == "closed"
    # Its workflow has ended: a repeat is answered from the record, anything else refused.
    again = await stack.client.post(
        path, json=closing, headers={**stack.auth("pm"), "Idempotency-Key": "sluiten-1"}
    )
    assert (again.status_code, again.json()["position"]) == (200, closed.json()["position"])
    # Created again with its first key after closing: the first answer, and no new run of
    # its workflow.
    handle = services_of(stack).temporal.get_workflow_handle(f"programme-{programme_id}")

    async def ended() -> bool:
        return (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED

    await wait_until(ended)
    recreated = await stack.client.post(
        "/v1/programmes",
        json=PROGRAMME,
        headers={**stack.auth("pm"), "Idempotency-Key": created.request.headers["idempotency-key"]},
    )
    assert recreated.status_code == 201, recreated.text
    assert recreated.json()["position"] == created.json()["position"]
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    late = await stack.client.post(
        path,
        json={"type": "add_neighbourhood", "rationale": "te laat", "code": "WK034401"},
        headers=stack.auth("pm"),
    )
    assert_error(late, 409, "programme_closed")
    error = assert_error(
        await stack.client.post(
            "/v1/experiments",
            json=experiment_body(
                neighbourhood={"code": "WK034403", "name": "Overvecht", "kind": "wijk"},
                programme_id=programme_id,
            ),
            headers=stack.auth("pm"),
        ),
        422,
        "unknown_programme",
    )
    assert "closed" in error["message"]
