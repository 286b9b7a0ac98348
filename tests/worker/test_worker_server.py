"""The Worker gRPC service with the real model over real mutual TLS."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from helixflow.common.certs import init_dev_pki
from helixflow.common.grpc_server import CHANNEL_OPTIONS
from helixflow.common.tls import TlsFiles, channel_credentials
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import SERVICE_NAME, WorkerServer, create_server
from tests.conftest import tls_settings, wait_for

PROMPT = "The capital of France is"


@pytest_asyncio.fixture(loop_scope="session")
async def worker(pki: dict[str, TlsFiles], llama_engine: LlamaCppEngine) -> AsyncIterator[tuple[WorkerServer, int]]:
    settings = WorkerSettings(listen="127.0.0.1:0", tls=tls_settings(pki["worker"]), metrics_port=0, drain_grace_s=20)
    server, port = create_server(settings, engine=llama_engine)
    await server.start()
    yield server, port
    await server.stop(grace=0)


def _channel(port: int, files: TlsFiles) -> grpc.aio.Channel:
    return grpc.aio.secure_channel(f"localhost:{port}", channel_credentials(files), options=CHANNEL_OPTIONS)


def _request(request_id: str, max_tokens: int = 8, **kwargs: object) -> worker_pb2.WorkerGenerateRequest:
    req = inference_pb2.GenerateRequest(request_id=request_id, **kwargs)  # type: ignore[arg-type]
    if not req.WhichOneof("input"):
        req.prompt = PROMPT
    req.sampling.max_tokens = max_tokens
    req.sampling.temperature = 0.0
    return worker_pb2.WorkerGenerateRequest(request=req)


async def _collect(
    stub: worker_pb2_grpc.WorkerAsyncStub, req: worker_pb2.WorkerGenerateRequest
) -> tuple[str, common_pb2.Complete]:
    text, complete = [], None
    async for msg in stub.Generate(req):
        event = msg.response.WhichOneof("event")
        if event == "delta":
            assert complete is None, "delta after the terminal message"
            text.append(msg.response.delta.text)
        else:
            assert complete is None, "two terminal messages"
            complete = msg.response.complete
    assert complete is not None, "stream ended without a terminal message"
    return "".join(text), complete


async def test_generate_streams_from_prompt_over_mtls(
    worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]
) -> None:
    _, port = worker
    async with _channel(port, pki["router"]) as channel:
        text, done = await _collect(worker_pb2_grpc.WorkerStub(channel), _request("p1", max_tokens=6))
    assert text.strip()
    assert done.usage.completion_tokens == 6
    assert done.finish_reason == common_pb2.FINISH_REASON_LENGTH
    assert done.usage.prompt_tokens > 0
    assert done.timings.total.ToNanoseconds() >= done.timings.time_to_first_token.ToNanoseconds() > 0


async def test_generate_from_chat_messages(worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]) -> None:
    _, port = worker
    messages = common_pb2.ChatMessages(
        messages=[
            common_pb2.ChatMessage(role=common_pb2.ROLE_SYSTEM, content="Answer briefly."),
            common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content="Name a colour."),
        ]
    )
    async with _channel(port, pki["router"]) as channel:
        text, done = await _collect(worker_pb2_grpc.WorkerStub(channel), _request("c1", messages=messages))
    assert done.usage.completion_tokens >= 1
    assert done.finish_reason in (common_pb2.FINISH_REASON_STOP, common_pb2.FINISH_REASON_LENGTH)
    assert text or done.finish_reason == common_pb2.FINISH_REASON_STOP


async def test_client_without_certificate_is_refused(
    worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]
) -> None:
    _, port = worker
    credentials = grpc.ssl_channel_credentials(root_certificates=pki["worker"].ca_file.read_bytes())
    async with grpc.aio.secure_channel(f"localhost:{port}", credentials) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await worker_pb2_grpc.WorkerStub(channel).Info(worker_pb2.InfoRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_client_from_another_ca_is_refused(worker: tuple[WorkerServer, int], tmp_path: object) -> None:
    _, port = worker
    import pathlib

    other = init_dev_pki(pathlib.Path(str(tmp_path)) / "other")["router"]
    # Trust our worker's CA so only the client side of the handshake can fail.
    ours = TlsFiles(ca_file=other.ca_file, cert_file=other.cert_file, key_file=other.key_file)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=worker[0].settings.tls.ca_file.read_bytes(),  # type: ignore[union-attr]
        private_key=ours.key_file.read_bytes(),
        certificate_chain=ours.cert_file.read_bytes(),
    )
    async with grpc.aio.secure_channel(f"localhost:{port}", credentials) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await worker_pb2_grpc.WorkerStub(channel).Info(worker_pb2.InfoRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_info_describes_the_model(worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]) -> None:
    _, port = worker
    async with _channel(port, pki["router"]) as channel:
        info = await worker_pb2_grpc.WorkerStub(channel).Info(worker_pb2.InfoRequest())
    assert info.model_id == "gemma-3-270m"
    assert info.backend == "llama.cpp"
    assert info.context_length == 1024
    assert info.vocab_size > 200_000
    assert info.eos_token_ids
    assert info.max_concurrent_sequences == 8
    assert not info.has_chat_template
    assert common_pb2.CONSTRAINT_KIND_JSON_SCHEMA in info.supported_constraints
    assert info.supports_tools
    assert info.tool_parser == "hermes"  # no template: the fallback tool format


async def test_tool_fields_are_validated_over_grpc(worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]) -> None:
    _, port = worker
    messages = common_pb2.ChatMessages(messages=[common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content="hi")])
    cases = {
        "tool_choice.function_name": common_pb2.ToolChoice(function_name="nope"),
        "tools[0].parameters": common_pb2.ToolChoice(mode=common_pb2.TOOL_CHOICE_MODE_AUTO),
    }
    async with _channel(port, pki["router"]) as channel:
        for field, choice in cases.items():
            req = _request(f"tools-{field}", messages=messages, tool_choice=choice)
            req.request.tools.add(name="f", parameters="[1]" if field.startswith("tools") else "")
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _collect(worker_pb2_grpc.WorkerStub(channel), req)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            status = rpc_status.from_call(caught.value)
            assert status is not None
            bad = error_details_pb2.BadRequest()
            next(d for d in status.details if d.Is(bad.DESCRIPTOR)).Unpack(bad)
            assert bad.field_violations[0].field == field


async def test_bad_field_is_invalid_argument_with_details(
    worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]
) -> None:
    _, port = worker
    req = _request("bad")
    req.request.sampling.top_p = 0.0
    async with _channel(port, pki["router"]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _collect(worker_pb2_grpc.WorkerStub(channel), req)
    err = caught.value
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "top_p" in (err.details() or "")
    status = rpc_status.from_call(err)
    assert status is not None
    kinds = {d.type_url.rsplit("/", 1)[-1] for d in status.details}
    assert {"google.rpc.ErrorInfo", "google.rpc.BadRequest"} <= kinds
    bad = error_details_pb2.BadRequest()
    next(d for d in status.details if d.Is(bad.DESCRIPTOR)).Unpack(bad)
    assert bad.field_violations[0].field == "sampling.top_p"


async def test_overlong_stop_string_is_refused(worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]) -> None:
    # Partial stop matches run on every token in the shared decode thread: the length is capped.
    _, port = worker
    req = _request("long-stop")
    req.request.sampling.stop.append("x" * 257)
    async with _channel(port, pki["router"]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _collect(worker_pb2_grpc.WorkerStub(channel), req)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "256 characters" in (caught.value.details() or "")


async def test_too_long_prompt_is_invalid_argument_with_numbers(
    worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]
) -> None:
    _, port = worker
    async with _channel(port, pki["router"]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _collect(worker_pb2_grpc.WorkerStub(channel), _request("long", prompt="word " * 3000))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "1024" in (caught.value.details() or "")


async def test_cancelled_call_frees_its_slot(
    worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles], llama_engine: LlamaCppEngine
) -> None:
    _, port = worker
    req = _request("cancel-me", max_tokens=500)
    req.request.sampling.ignore_eos = True
    async with _channel(port, pki["router"]) as channel:
        call = worker_pb2_grpc.WorkerStub(channel).Generate(req)
        await call.read()
        assert llama_engine.load_report().running == 1
        call.cancel()
        assert await wait_for(lambda: llama_engine.load_report().running == 0)


async def test_abort_ends_stream_with_cancelled(worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]) -> None:
    _, port = worker
    req = _request("abort-me", max_tokens=500)
    req.request.sampling.ignore_eos = True
    async with _channel(port, pki["router"]) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        call = stub.Generate(req)
        await call.read()
        aborted = await stub.Abort(worker_pb2.AbortRequest(request_ids=["abort-me", "never-existed"]))
        assert list(aborted.aborted_request_ids) == ["abort-me"]
        last: worker_pb2.WorkerGenerateResponse | None = None
        while (msg := await call.read()) is not grpc.aio.EOF:
            assert isinstance(msg, worker_pb2.WorkerGenerateResponse)
            last = msg
        again = await stub.Abort(worker_pb2.AbortRequest(request_ids=["abort-me"]))
    assert last is not None
    assert last.response.complete.finish_reason == common_pb2.FINISH_REASON_CANCELLED
    assert list(again.aborted_request_ids) == []


async def test_watch_load_reports(worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]) -> None:
    _, port = worker
    async with _channel(port, pki["router"]) as channel:
        call = worker_pb2_grpc.WorkerStub(channel).WatchLoad(worker_pb2.WatchLoadRequest(interval_ms=50))
        first = await call.read()
        second = await call.read()
        call.cancel()
    assert isinstance(first, worker_pb2.WatchLoadResponse)
    assert isinstance(second, worker_pb2.WatchLoadResponse)
    assert first.max_running == 8
    assert 0.0 <= first.kv_cache_usage <= 1.0


async def test_embed_one_unit_vector_per_input(worker: tuple[WorkerServer, int], pki: dict[str, TlsFiles]) -> None:
    _, port = worker
    req = worker_pb2.WorkerEmbedRequest(request=inference_pb2.EmbedRequest(inputs=["a cat", "a dog", "quantum"]))
    async with _channel(port, pki["router"]) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        info = await stub.Info(worker_pb2.InfoRequest())
        out = (await stub.Embed(req)).response
    assert len(out.embeddings) == 3
    assert [e.index for e in out.embeddings] == [0, 1, 2]
    for e in out.embeddings:
        assert len(e.values) == info.embedding_dimension > 0
        assert math.isclose(math.sqrt(sum(v * v for v in e.values)), 1.0, rel_tol=1e-3)
    assert out.usage.prompt_tokens > 0


async def test_drain_refuses_new_work_and_finishes_open_streams(
    pki: dict[str, TlsFiles], llama_engine: LlamaCppEngine
) -> None:
    settings = WorkerSettings(listen="127.0.0.1:0", tls=tls_settings(pki["worker"]), metrics_port=0)
    server, port = create_server(settings, engine=llama_engine)
    await server.start()
    async with _channel(port, pki["router"]) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        ready = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
        assert ready.status == health_pb2.HealthCheckResponse.SERVING
        open_stream = asyncio.create_task(_collect(stub, _request("draining", max_tokens=24)))
        assert await wait_for(lambda: llama_engine.load_report().running == 1)
        stopping = asyncio.create_task(server.stop(grace=30))
        assert await wait_for(lambda: server.servicer.draining)
        status = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
        live = await health.Check(health_pb2.HealthCheckRequest(service=""))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await _collect(stub, _request("late"))
        text, done = await open_stream
        await stopping
    assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert live.status == health_pb2.HealthCheckResponse.SERVING
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert done.usage.completion_tokens == 24
    assert text
