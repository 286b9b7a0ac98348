"""Extension points for the auth/quota/cache layer (issue 6).

Auth and quotas wrap the router as gRPC server interceptors passed to
``create_server(settings, interceptors=...)``. Token accounting needs the final
usage, which only the servicer sees: it calls a ``UsageObserver`` once per
completed call.
"""

from __future__ import annotations

from typing import Any, Protocol

import grpc

from helixflow.v1 import common_pb2, inference_pb2


class UsageObserver(Protocol):
    """Told the final usage of each call that completed (a quota layer charges TPM here)."""

    async def generate_done(
        self,
        request: inference_pb2.GenerateRequest,
        complete: common_pb2.Complete,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> None: ...

    async def embed_done(
        self,
        request: inference_pb2.EmbedRequest,
        usage: common_pb2.Usage,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> None: ...
