"""A schemathesis run against /openapi.json of the real API: no input a client can send gets
a server error."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import LiveService


def _is_json(response: schemathesis.Response) -> bool:
    values = response.headers.get("content-type") or [""]
    return str(values[0]).startswith("application/json")


def test_no_server_errors(live_service: LiveService) -> None:
    base, token = live_service.base_url, live_service.tokens["pm"]
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=int(os.environ.get("WIJKLAB_FUZZ_EXAMPLES", "25")),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case: schemathesis.Case) -> None:
            for headers in ({"Authorization": f"Bearer {token}"}, None):
                response = case.call(base_url=base, headers=headers, timeout=60)
                if response.status_code >= 500 and not (
                    case.path == "/readyz" and response.status_code == 503
                ):
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                    )
                if response.status_code >= 400 and _is_json(response):
                    body = response.json()
                    if "error" not in body:
                        failures.append(
                            f"{case.method} {case.formatted_path}: error without shape: {body}"
                        )

        call()
    assert not failures, "\n".join(failures[:20])


def test_stateful_sequences_never_break_anything(live_service: LiveService) -> None:
    """Sequences along the schema's links: start an experiment, then read it, take decisions
    on it, read its history and its past state — with generated input at every step."""
    base = live_service.base_url
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    links = schema.raw_schema["paths"]["/v1/experiments"]["post"]["responses"]["201"]["links"]
    assert set(links) == {"GetExperiment", "TakeDecision", "DecisionHistory", "StateAt"}
    failures: list[str] = []
    reached: set[str] = set()
    tokens = [live_service.tokens["pm"], live_service.tokens["resident"]]

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            token = tokens[len(case.formatted_path) % len(tokens)]
            return {"headers": {"Authorization": f"Bearer {token}"}, "timeout": 60}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: object
        ) -> None:
            if response.status_code < 300:
                reached.add(f"{case.method} {case.operation.path}")
            if response.status_code >= 500 and response.status_code != 503:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )
            if (
                response.status_code >= 400
                and _is_json(response)
                and "error" not in response.json()
            ):
                failures.append(f"{case.method} {case.formatted_path}: no error shape")

    Sequences.run(
        settings=settings(
            max_examples=int(os.environ.get("WIJKLAB_FUZZ_STATEFUL_EXAMPLES", "15")),
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    assert not failures, "\n".join(failures[:20])
    # The links were followed: an experiment started in a sequence was then read.
    assert "GET /v1/experiments/{experiment_id}" in reached, reached
