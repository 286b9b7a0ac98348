"""Helpers for the router's own server interceptors.

``new_server`` puts ``ErrorInterceptor`` innermost, so errors raised by these
outer interceptors would not reach it. They wrap their behaviour with the same
mapping, from ``helixflow.common.grpc_errors`` (one mechanism, two call sites).
"""

from __future__ import annotations

from typing import Any

import grpc

from helixflow.common.grpc_errors import mapped_stream_handler as stream_handler
from helixflow.common.grpc_errors import mapped_unary_handler as unary_handler

Context = grpc.aio.ServicerContext[Any, Any]

__all__ = ["Context", "stream_handler", "unary_handler"]
