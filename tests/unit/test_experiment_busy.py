"""More decisions at once on one experiment than the workflow service holds (its limit of
updates in flight on one workflow) is a 429 to send again, never a 500."""

from __future__ import annotations

import uuid

import pytest
from temporalio.service import RPCError, RPCStatusCode

from services.api.errors import domain_response
from services.app.errors import ExperimentBusy
from workflows.client import _translated


def test_a_crowd_on_one_experiment_is_told_to_send_again() -> None:
    limit = RPCError(
        "limit on number of concurrent in-flight updates has been reached (10)",
        RPCStatusCode.RESOURCE_EXHAUSTED,
        b"",
    )
    with pytest.raises(ExperimentBusy) as busy, _translated(uuid.uuid4()):
        raise limit
    answer = domain_response(busy.value)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"
    assert b'"code":"experiment_busy"' in answer.body
