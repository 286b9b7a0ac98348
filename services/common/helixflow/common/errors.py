"""One domain error hierarchy for every service.

Handlers raise these; each transport maps them in exactly one place (the gRPC
interceptor in ``helixflow.common.grpc_errors`` and the bridge's exception
handler). The message is what the caller sees, so it must say what to change.
"""

from __future__ import annotations

from typing import ClassVar

import grpc

from helixflow.v1 import common_pb2

ERROR_DOMAIN = "helixflow.dev"


class HelixError(Exception):
    """Base class: a failure with a gRPC status code and a typed reason."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL
    reason: ClassVar[int] = common_pb2.ERROR_REASON_INTERNAL

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        retry_after_s: float | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after_s = retry_after_s
        self.metadata = metadata or {}

    @property
    def reason_name(self) -> str:
        """The ErrorReason name without its prefix, e.g. ``QUEUE_FULL``."""
        return common_pb2.ErrorReason.Name(self.reason).removeprefix("ERROR_REASON_")  # type: ignore[arg-type]


class InvalidArgument(HelixError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = common_pb2.ERROR_REASON_INVALID_ARGUMENT


class PromptTooLong(InvalidArgument):
    reason = common_pb2.ERROR_REASON_PROMPT_TOO_LONG


class UnsupportedConstraint(InvalidArgument):
    reason = common_pb2.ERROR_REASON_UNSUPPORTED_CONSTRAINT


class ModelNotFound(HelixError):
    code = grpc.StatusCode.NOT_FOUND
    reason = common_pb2.ERROR_REASON_MODEL_NOT_FOUND


class QueueFull(HelixError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = common_pb2.ERROR_REASON_QUEUE_FULL


class RateLimitedRpm(HelixError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = common_pb2.ERROR_REASON_RATE_LIMIT_RPM


class RateLimitedTpm(HelixError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = common_pb2.ERROR_REASON_RATE_LIMIT_TPM


class BudgetExceeded(HelixError):
    """A key's or project's spend budget for the period is used up."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = common_pb2.ERROR_REASON_BUDGET_EXCEEDED


class ConcurrencyLimited(HelixError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = common_pb2.ERROR_REASON_CONCURRENCY_LIMIT


class Unauthenticated(HelixError):
    code = grpc.StatusCode.UNAUTHENTICATED
    reason = common_pb2.ERROR_REASON_UNAUTHENTICATED


class PermissionDenied(HelixError):
    code = grpc.StatusCode.PERMISSION_DENIED
    reason = common_pb2.ERROR_REASON_PERMISSION_DENIED


class NoWorker(HelixError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = common_pb2.ERROR_REASON_NO_WORKER


class WorkerLost(HelixError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = common_pb2.ERROR_REASON_WORKER_LOST


class UpstreamUnavailable(NoWorker):
    """A remote provider behind an upstream backend cannot serve: unreachable, 5xx, or it
    refused our own credentials (never reported as the caller's auth failure)."""


class UpstreamRateLimited(QueueFull):
    """A remote provider answered 429; ``retry_after_s`` carries its Retry-After."""


class Draining(HelixError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = common_pb2.ERROR_REASON_DRAINING


class DeadlineExceeded(HelixError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    reason = common_pb2.ERROR_REASON_DEADLINE_EXCEEDED


class Internal(HelixError):
    """An unexpected fault. Its message must not leak internals."""
