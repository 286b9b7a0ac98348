"""How worker failures are classified and passed on.

A worker's own status (INVALID_ARGUMENT, NOT_FOUND, ...) reaches the client
unchanged: code, message and google.rpc details (the grpc-status-details-bin
trailer). Router-made errors go through the domain hierarchy instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

# Failures that mean "this worker cannot take the request now": safe to retry
# elsewhere as long as nothing reached the client yet.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})
# After the first token these mean the worker went away mid-stream.
LOST = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED})

_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class RpcStatus(grpc.Status):
    """A concrete ``grpc.Status`` (grpc only ships the interface)."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


class UpstreamError(Exception):
    """A worker's status to hand to the client as it is."""

    def __init__(self, err: grpc.aio.AioRpcError) -> None:
        super().__init__(err.details())
        self.err = err

    @property
    def code(self) -> grpc.StatusCode:
        return self.err.code()

    def status(self) -> grpc.Status:
        trailers = tuple((k, v) for k, v in (self.err.trailing_metadata() or ()) if k == _DETAILS_KEY)
        return RpcStatus(self.err.code(), self.err.details() or "", trailers)
