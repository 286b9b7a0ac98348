"""The router end to end: real worker servers and a real router over mTLS on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_status import rpc_status

from helixflow.common.grpc_server import PRIORITY_KEY, ROUTER_MS_KEY
from helixflow.common.tls import TlsFiles
from helixflow.router.server import INFERENCE_SERVICE
from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc
from tests.router.conftest import CountingEngine, router, wait_for, worker

Pki = dict[str, TlsFiles]


def gen(prompt: str = "hello there", max_tokens: int = 8, model: str = "fake") -> inference_pb2.GenerateRequest:
    return inference_pb2.GenerateRequest(
        model=model, prompt=prompt, sampling=common_pb2.SamplingParams(max_tokens=max_tokens)
    )


async def collect(stub: inference_pb2_grpc.InferenceAsyncStub, request: inference_pb2.GenerateRequest) -> list[Any]:
    return [r async for r in stub.Generate(request)]


async def test_generate_streams_tokens_and_reports_router_time(pki: Pki) -> None:
    async with worker(pki, CountingEngine()) as (_, addr), router(pki, [addr]) as (_, stub):
        call = stub.Generate(gen(max_tokens=5))
        replies = [r async for r in call]
        assert [r.delta.text for r in replies[:-1]] == ["tok "] * 5
        assert replies[-1].complete.usage.completion_tokens == 5
        trailers = dict(await call.trailing_metadata())
        assert float(trailers[ROUTER_MS_KEY]) >= 0
        # Its time up to the first token comes with the headers, for the bridge's streaming header.
        assert float(dict(await call.initial_metadata())[ROUTER_MS_KEY]) >= 0


async def test_generate_headers_name_the_priority_it_runs_at(pki: Pki) -> None:
    # Auth is off here, so nothing caps the class: unset runs at NORMAL, the rest as asked.
    asked = {
        common_pb2.PRIORITY_UNSPECIFIED: "normal",
        common_pb2.PRIORITY_LOW: "low",
        common_pb2.PRIORITY_HIGH: "high",
    }
    async with worker(pki, CountingEngine()) as (_, addr), router(pki, [addr]) as (_, stub):
        for priority, label in asked.items():
            request = gen(max_tokens=2)
            request.priority = priority
            call = stub.Generate(request)
            assert [r async for r in call][-1].HasField("complete")
            assert dict(await call.initial_metadata())[PRIORITY_KEY] == label


@pytest.mark.parametrize("policy", ["round_robin", "least_load", "prefix_affinity"])
async def test_requests_spread_over_two_workers(pki: Pki, policy: str) -> None:
    a, b = CountingEngine(token_delay_s=0.005), CountingEngine(token_delay_s=0.005)
    async with worker(pki, a) as (_, wa), worker(pki, b) as (_, wb), router(pki, [wa, wb], policy=policy) as (_, stub):
        prompts = [f"distinct prompt number {i} " * 3 for i in range(16)]
        results = await asyncio.gather(*(collect(stub, gen(p)) for p in prompts))
        assert all(r[-1].HasField("complete") for r in results)
        assert a.started > 0
        assert b.started > 0
        assert a.started + b.started == 16


async def test_unknown_model_is_not_found_naming_known_ones(pki: Pki) -> None:
    async with (
        worker(pki, CountingEngine()) as (_, addr),
        router(pki, [addr], model_aliases={"f": "fake"}) as (_, stub),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(stub, gen(model="nope"))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert "fake" in (caught.value.details() or "")
        # An alias resolves.
        assert (await collect(stub, gen(model="f")))[-1].HasField("complete")


async def test_worker_errors_pass_through_with_details(pki: Pki) -> None:
    async with worker(pki, CountingEngine()) as (_, addr), router(pki, [addr]) as (rs, stub):
        request = gen()
        request.sampling.structured_output.regex = "a+"  # the fake engine refuses constraints
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(stub, request)
        err = caught.value
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "structured output" in (err.details() or "")
        status = rpc_status.from_call(err)
        assert status is not None
        info = error_details_pb2.ErrorInfo()
        assert any(d.Unpack(info) for d in status.details)
        assert info.reason == "INVALID_ARGUMENT"
        assert ROUTER_MS_KEY in dict(err.trailing_metadata() or ())
        assert rs.pool.workers[addr].inflight == 0  # released on error too


async def test_cancelled_call_frees_the_worker_slot(pki: Pki) -> None:
    engine = CountingEngine(token_delay_s=0.05)
    async with worker(pki, engine) as (wserver, addr), router(pki, [addr]) as (rserver, stub):
        call = stub.Generate(gen(max_tokens=10_000))
        async for _ in call:
            break  # one token arrived: the stream is running on the worker
        assert engine.running == 1
        call.cancel()
        await wait_for(lambda: engine.running == 0)
        await asyncio.wait_for(wserver.servicer.in_flight.wait_idle(), 20)
        await wait_for(lambda: rserver.pool.workers[addr].inflight == 0)


async def test_client_deadline_propagates(pki: Pki) -> None:
    engine = CountingEngine(token_delay_s=0.05)
    async with worker(pki, engine) as (_, addr), router(pki, [addr]) as (_, stub):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.Generate(gen(max_tokens=10_000), timeout=0.5):
                pass
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        await wait_for(lambda: engine.running == 0)


async def test_router_max_request_time_applies(pki: Pki) -> None:
    engine = CountingEngine(token_delay_s=0.05)
    async with worker(pki, engine) as (_, addr), router(pki, [addr], max_request_s=0.5) as (_, stub):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(stub, gen(max_tokens=10_000))
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_draining_worker_gets_no_new_work_while_its_streams_finish(pki: Pki) -> None:
    a, b = CountingEngine(token_delay_s=0.02), CountingEngine(token_delay_s=0.02)
    async with (
        worker(pki, a) as (_, wa),
        worker(pki, b) as (bserver, wb),
        router(pki, [wa, wb], policy="round_robin") as (rserver, stub),
    ):
        streams = [asyncio.create_task(collect(stub, gen(max_tokens=30))) for _ in range(4)]
        await wait_for(lambda: b.running > 0 and a.running > 0)
        on_b = b.started
        drain = asyncio.create_task(bserver.stop(30))
        await wait_for(lambda: not rserver.pool.workers[wb].routable(0) or drain.done())
        fresh = await asyncio.gather(*(collect(stub, gen(max_tokens=3)) for _ in range(6)))
        assert all(r[-1].HasField("complete") for r in fresh)
        assert b.started == on_b  # nothing new reached the draining worker
        for done in await asyncio.gather(*streams):  # its own streams ran to the end
            assert done[-1].complete.usage.completion_tokens == 30
        await drain


async def test_killed_worker_loses_no_unstarted_request_and_comes_back(pki: Pki, worker_process: Any) -> None:
    b = CountingEngine(token_delay_s=0.02)
    proc = worker_process(delay=0.02)
    async with worker(pki, b) as (_, wb), router(pki, [proc.address, wb], policy="round_robin") as (rs, stub):
        calls = [stub.Generate(gen(max_tokens=100)) for _ in range(6)]
        firsts = await asyncio.gather(*(c.read() for c in calls))  # every stream has its first token
        assert all(isinstance(f, inference_pb2.GenerateResponse) and f.HasField("delta") for f in firsts)
        proc.kill()
        # Requests sent now, before the router has noticed, must all be served elsewhere.
        fresh = await asyncio.gather(*(collect(stub, gen(max_tokens=3)) for _ in range(6)))
        assert all(r[-1].HasField("complete") for r in fresh)

        async def finish(call: Any) -> grpc.StatusCode:
            try:
                last = None
                while (reply := await call.read()) is not grpc.aio.EOF:
                    last = reply
                assert last is not None
                assert last.HasField("complete")  # an OK stream is never cut short
                return grpc.StatusCode.OK
            except grpc.aio.AioRpcError as err:
                return err.code()

        codes = await asyncio.gather(*(finish(c) for c in calls))
        lost = [c for c in codes if c == grpc.StatusCode.UNAVAILABLE]
        assert len(lost) == 3, codes  # round robin put 3 on the killed worker
        assert codes.count(grpc.StatusCode.OK) == 3  # the survivor's streams ran to the end

        # Restart on the same port: the router uses it again.
        restarted = worker_process(port=proc.port, delay=0.0)
        w = rs.pool.workers[restarted.address]
        await wait_for(lambda: w.routable(0))
        before = w.served
        await asyncio.gather(*(collect(stub, gen(max_tokens=2)) for _ in range(6)))
        assert w.served > before


async def test_list_models_embed_split_and_tokenize(pki: Pki) -> None:
    a, b = CountingEngine(), CountingEngine()
    async with (
        worker(pki, a) as (_, wa),
        worker(pki, b) as (_, wb),
        router(pki, [wa, wb], model_aliases={"default": "fake", "fk": "fake"}, embed_split_min=4) as (rs, stub),
    ):
        models = await stub.ListModels(inference_pb2.ListModelsRequest())
        assert [(m.id, list(m.aliases), m.ready_workers) for m in models.models] == [("fake", ["default", "fk"], 2)]

        inputs = [f"text {i}" for i in range(20)]
        reply = await stub.Embed(inference_pb2.EmbedRequest(model="default", inputs=inputs))
        assert [e.index for e in reply.embeddings] == list(range(20))
        single = await stub.Embed(inference_pb2.EmbedRequest(model="fake", inputs=["text 7"]))
        assert list(reply.embeddings[7].values) == list(single.embeddings[0].values)
        assert all(w.served >= 1 for w in rs.pool.workers.values())  # the batch was split
        assert reply.usage.prompt_tokens == 2 * len(inputs)  # the parts' usage is summed

        tok = await stub.Tokenize(inference_pb2.TokenizeRequest(model="fk", prompt="a b c"))
        assert len(tok.token_ids) == 3


async def test_embed_without_inputs_is_invalid_argument_naming_the_field(pki: Pki) -> None:
    # The embedding cache (on by default) has nothing to look up for no inputs: this used to
    # answer OK with no vectors, without ever reaching a worker.
    async with worker(pki, CountingEngine()) as (_, addr), router(pki, [addr]) as (rs, stub):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Embed(inference_pb2.EmbedRequest(model="fake"))
        err = caught.value
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        status = rpc_status.from_call(err)
        assert status is not None
        bad = error_details_pb2.BadRequest()
        assert any(d.Unpack(bad) for d in status.details)
        assert [v.field for v in bad.field_violations] == ["inputs"]
        assert ROUTER_MS_KEY in dict(err.trailing_metadata() or ())
        assert rs.pool.workers[addr].served == 0


async def test_workers_found_through_dns(pki: Pki) -> None:
    engine = CountingEngine()
    async with worker(pki, engine) as (_, addr):
        port = addr.rsplit(":", 1)[1]
        async with router(pki, [], worker_dns=f"localhost:{port}", dns_refresh_s=0.2) as (rs, stub):
            await wait_for(lambda: len(rs.pool.routable()) >= 1)
            assert (await collect(stub, gen()))[-1].HasField("complete")
            assert engine.started == 1


async def test_router_health_follows_its_workers(pki: Pki) -> None:
    async with worker(pki, CountingEngine()) as (wserver, addr), router(pki, [addr]) as (rs, _):
        servicer = rs.health.servicer
        await wait_for(lambda: servicer._server_status.get(INFERENCE_SERVICE) == health_pb2.HealthCheckResponse.SERVING)
        assert servicer._server_status.get("") == health_pb2.HealthCheckResponse.SERVING
        await wserver.stop(0)
        await wait_for(
            lambda: servicer._server_status.get(INFERENCE_SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING
        )


async def test_prefix_affinity_keeps_a_shared_system_prompt_on_one_worker(pki: Pki) -> None:
    a, b = CountingEngine(), CountingEngine()
    async with worker(pki, a) as (_, wa), worker(pki, b) as (_, wb), router(pki, [wa, wb]) as (rs, stub):
        system = "You are a terse assistant that answers in one line. " * 30
        for i in range(8):  # one at a time: load never exceeds the margin
            msgs = [
                common_pb2.ChatMessage(role=common_pb2.ROLE_SYSTEM, content=system),
                common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content=f"question {i}"),
            ]
            request = inference_pb2.GenerateRequest(model="fake", messages=common_pb2.ChatMessages(messages=msgs))
            await collect(stub, request)
        assert sorted([a.started, b.started]) == [0, 8]
        assert all(w.inflight == 0 for w in rs.pool.workers.values())


async def test_worker_leaving_discovery_finishes_its_streams(pki: Pki) -> None:
    engine = CountingEngine(token_delay_s=0.02)
    async with worker(pki, engine) as (_, addr), router(pki, [addr]) as (rs, stub):
        call = stub.Generate(gen(max_tokens=20))
        first = await call.read()
        assert isinstance(first, inference_pb2.GenerateResponse)
        rs.pool.sync([])  # e.g. a draining pod left the headless Service
        last: object = first
        while (reply := await call.read()) is not grpc.aio.EOF:
            last = reply
        assert isinstance(last, inference_pb2.GenerateResponse)
        assert last.complete.usage.completion_tokens == 20
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await collect(stub, gen())
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_requests_waiting_on_a_killed_worker_are_retried_elsewhere(pki: Pki, worker_process: Any) -> None:
    b = CountingEngine()
    slow = worker_process(delay=30.0)  # its first token would take 30 s: nothing streams before the kill
    async with worker(pki, b) as (_, wb), router(pki, [slow.address, wb], policy="round_robin") as (rs, stub):
        tasks = [asyncio.create_task(collect(stub, gen(max_tokens=3))) for _ in range(6)]
        await wait_for(lambda: rs.pool.workers[slow.address].inflight == 3)
        slow.kill()
        results = await asyncio.gather(*tasks)
        assert all(r[-1].complete.usage.completion_tokens == 3 for r in results)
        assert b.started == 6
