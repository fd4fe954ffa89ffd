"""The OpenAPI links of the experiments' answers: what a client (or a stateful test) can do
next with what it was just given."""

from __future__ import annotations

from typing import Any

from services.api import answers

# Reads follow a write with its position as `min_position` (read-your-writes): the read models
# are eventually consistent, and a read right after a write may otherwise miss it.
_EXPERIMENT_ID = {"experiment_id": "$response.body#/id"}
_READ_YOUR_WRITE = {**_EXPERIMENT_ID, "min_position": "$response.body#/position"}
START_LINKS: dict[int | str, dict[str, Any]] = {
    201: {
        "model": answers.StartedExperiment,
        "description": "the experiment as started",
        "links": {
            "GetExperiment": {"operationId": "getExperiment", "parameters": _READ_YOUR_WRITE},
            "TakeDecision": {"operationId": "takeDecision", "parameters": _EXPERIMENT_ID},
            "DecisionHistory": {"operationId": "decisionHistory", "parameters": _READ_YOUR_WRITE},
            "StateAt": {"operationId": "stateAt", "parameters": _EXPERIMENT_ID},
        },
    }
}


DECISION_LINKS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the decision as taken",
        "links": {
            "DecisionHistory": {
                "operationId": "decisionHistory",
                "parameters": {
                    "experiment_id": "$request.path.experiment_id",
                    "min_position": "$response.body#/position",
                },
            },
            "GetExperiment": {
                "operationId": "getExperiment",
                "parameters": {
                    "experiment_id": "$request.path.experiment_id",
                    "min_position": "$response.body#/position",
                },
            },
        },
    }
}
