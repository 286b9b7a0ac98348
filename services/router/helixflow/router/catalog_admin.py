"""The Admin catalog RPCs: every worker's catalog with states, and load, unload and pin,
sent to one worker or to each worker concerned. A worker's own error (NOT_FOUND,
FAILED_PRECONDITION for a pinned model) reaches the caller as the worker sent it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from helixflow.common.errors import NoWorker
from helixflow.router.catalog import LOADED, worker_models
from helixflow.router.pool import Worker
from helixflow.router.routing import Router
from helixflow.router.upstream import UpstreamError
from helixflow.v1 import admin_pb2, worker_pb2

Context = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")


class CatalogAdmin:
    def __init__(self, router: Router, timeout_s: float) -> None:
        self._router = router
        self._timeout_s = timeout_s

    def catalogs(self) -> admin_pb2.ListCatalogResponse:
        reply = admin_pb2.ListCatalogResponse()
        for address, w in sorted(self._router.pool.workers.items()):
            info = w.info
            reply.workers.add(
                address=address,
                models=list(worker_models(w).values()),
                max_loaded_models=info.max_loaded_models if info is not None else 0,
                memory_budget_bytes=info.memory_budget_bytes if info is not None else 0,
                resident_bytes=w.load.resident_bytes,
            )
        return reply

    async def load(
        self, request: admin_pb2.LoadCatalogModelRequest, context: Context
    ) -> admin_pb2.LoadCatalogModelResponse:
        model_id = self._router.resolve(request.model)
        worker = self._named(request.worker) if request.worker else self._router.pick(model_id, None)
        reply = await _call(
            context, worker.stub.LoadModel(worker_pb2.LoadModelRequest(model=model_id), timeout=self._timeout_s)
        )
        return admin_pb2.LoadCatalogModelResponse(
            result=admin_pb2.CatalogModelResult(address=worker.address, model=reply.model)
        )

    async def unload(
        self, request: admin_pb2.UnloadCatalogModelRequest, context: Context
    ) -> admin_pb2.UnloadCatalogModelResponse:
        model_id = self._router.resolve(request.model)
        workers = self._targets(request.worker, model_id, lambda e: e.state == LOADED)
        out = admin_pb2.UnloadCatalogModelResponse()
        for w in workers:
            reply = await _call(
                context, w.stub.UnloadModel(worker_pb2.UnloadModelRequest(model=model_id), timeout=self._timeout_s)
            )
            out.results.add(address=w.address, model=reply.model)
        return out

    async def pin(
        self, request: admin_pb2.PinCatalogModelRequest, context: Context
    ) -> admin_pb2.PinCatalogModelResponse:
        model_id = self._router.resolve(request.model)
        workers = self._targets(request.worker, model_id, lambda e: True)
        out = admin_pb2.PinCatalogModelResponse()
        message = worker_pb2.PinModelRequest(model=model_id, pinned=request.pinned)
        for w in workers:
            reply = await _call(context, w.stub.PinModel(message, timeout=self._timeout_s))
            out.results.add(address=w.address, model=reply.model)
        return out

    def _named(self, address: str) -> Worker:
        worker = self._router.pool.workers.get(address)
        if worker is None or worker.info is None:
            known = ", ".join(sorted(self._router.pool.workers))
            raise NoWorker(f"no ready worker at {address!r}; workers: {known}")
        return worker

    def _targets(self, address: str, model_id: str, want: Callable[[worker_pb2.CatalogModel], bool]) -> list[Worker]:
        if address:
            return [self._named(address)]
        return [
            w
            for _, w in sorted(self._router.pool.workers.items())
            if (entry := worker_models(w).get(model_id)) is not None and want(entry)
        ]


async def _call(context: Context, reply: Awaitable[T]) -> T:
    try:
        return await reply
    except grpc.aio.AioRpcError as err:
        await context.abort_with_status(UpstreamError(err).status())
        raise  # abort_with_status raises; this line is for the type checker
