"""A backend without a tool parser refuses tools instead of silently ignoring them."""

from __future__ import annotations

from typing import Any

import pytest

from helixflow.common.errors import InvalidArgument
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2
from helixflow.worker.backends.fake import FakeEngine
from helixflow.worker.metrics import WorkerMetrics
from helixflow.worker.servicer import WorkerServicer


async def test_tools_on_a_backend_without_tools_are_invalid_argument() -> None:
    engine = FakeEngine()
    assert engine.info().tool_parser == ""
    servicer = WorkerServicer(engine, WorkerMetrics("fake", engine.load_report), load_report_ms=250)
    req = inference_pb2.GenerateRequest(request_id="r", model="fake")
    req.messages.messages.add(role=common_pb2.ROLE_USER, content="hi")
    req.tools.add(name="f")
    context: Any = None  # refused before the context is used
    stream = servicer.Generate(worker_pb2.WorkerGenerateRequest(request=req), context)
    with pytest.raises(InvalidArgument) as err:
        await anext(aiter(stream))
    assert err.value.field == "tools"
