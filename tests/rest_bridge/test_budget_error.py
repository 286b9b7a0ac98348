"""A spent budget reaches an OpenAI client as 429 insufficient_quota, with the router's
message (what was spent, when it resets, what to do) and Retry-After until the reset."""

from __future__ import annotations

import grpc
import orjson

from helixflow.common.errors import BudgetExceeded
from helixflow.common.grpc_errors import to_rpc_status
from helixflow.rest_bridge.errors import to_api_error


def test_budget_exceeded_from_the_router_is_429_insufficient_quota() -> None:
    err = BudgetExceeded("this key's spend budget of $1.0000 per day is used up; it resets at ...", retry_after_s=90.5)
    status = to_rpc_status(err)
    rpc = grpc.aio.AioRpcError(
        status.code, grpc.aio.Metadata(), grpc.aio.Metadata(*status.trailing_metadata), details=status.details
    )
    api = to_api_error(rpc)
    assert (api.status, api.type, api.code) == (429, "insufficient_quota", "budget_exceeded")
    assert "resets at" in api.message
    response = api.response()
    assert response.headers["retry-after"] == "91"
    assert orjson.loads(bytes(response.body))["error"]["type"] == "insufficient_quota"
