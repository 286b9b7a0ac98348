"""Property-based API checks: schemathesis drives the bridge from its own OpenAPI schema.

Runs against the scripted router (fast and deterministic): every generated
request must get a documented status (never 5xx) and a body that matches the
schema. Examples per operation are bounded to keep the suite short.

"Schema-valid data must be accepted" is not checked: OpenAI's schema lists
fields (tools, logit_bias, ...) that the bridge deliberately refuses with a 400
naming them, and semantic rules (an unknown model, top_logprobs without
logprobs) cannot be expressed in the schema.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from bridge_testing.stack import FakeStack
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

MAX_EXAMPLES = 25


def test_bridge_conforms_to_its_openapi_schema(fake_stack: FakeStack) -> None:
    schema = schemathesis.openapi.from_url(fake_stack.base_url + "/openapi.json")
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema raises here

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(base_url=fake_stack.base_url, checks=CHECKS)

        check()
        checked.append(operation.label)
    assert "POST /v1/chat/completions" in checked
    for label in ("POST /v1/responses", "GET /v1/responses/{response_id}", "POST /v1/messages"):
        assert label in checked
    assert "POST /v1/messages/count_tokens" in checked
