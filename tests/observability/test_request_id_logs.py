"""One request id in the JSON logs of the bridge, the router and the worker."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from helixflow.common.logs import JsonFormatter, RequestIdFilter
from helixflow.common.tls import TlsFiles
from tests.observability.stack import COMPLETION, http_stack


class _JsonLines(logging.Handler):
    """Keeps each record formatted exactly as the services' JSON handler writes it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_lines() -> Iterator[_JsonLines]:
    handler = _JsonLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def _services(lines: list[dict[str, object]], request_id: str) -> set[str]:
    """Which services logged lines carrying ``request_id``."""
    loggers = {str(line["logger"]) for line in lines if line.get("request_id") == request_id}
    return {name.split(".")[1] for name in loggers if name.startswith("helixflow.")}


async def test_given_request_id_reaches_router_and_worker_logs(
    pki: dict[str, TlsFiles], json_lines: _JsonLines
) -> None:
    async with http_stack(pki) as client:
        response = await client.post("/v1/completions", json=COMPLETION, headers={"x-request-id": "req-abc.123"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-abc.123"
    assert _services(json_lines.lines, "req-abc.123") == {"rest_bridge", "router", "worker"}


async def test_bridge_makes_an_id_when_absent_and_returns_it(pki: dict[str, TlsFiles], json_lines: _JsonLines) -> None:
    async with http_stack(pki) as client:
        first = await client.post("/v1/completions", json=COMPLETION)
        second = await client.post("/v1/completions", json={**COMPLETION, "stream": True})
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    for rid in ids:
        assert _services(json_lines.lines, rid) == {"rest_bridge", "router", "worker"}
    # A line outside any request carries no id (the filter does not leak the last one).
    logging.getLogger("helixflow.test").info("outside")
    assert "request_id" not in json_lines.lines[-1]
