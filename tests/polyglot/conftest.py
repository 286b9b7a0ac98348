"""The live Inference server that the polyglot clients call.

Everything in tests/polyglot gets its server from the one ``inference_server``
fixture. It gives a plaintext endpoint and a TLS endpoint whose certificate
is signed by the dev CA (``helixflow certs init``).

Two ways to get one:

* ``HELIXFLOW_POLYGLOT_TARGET`` (host:port, plaintext) plus
  ``HELIXFLOW_POLYGLOT_TLS_TARGET`` and ``HELIXFLOW_POLYGLOT_CA`` (the CA PEM
  that signed the TLS endpoint's certificate), and for mutual TLS
  ``HELIXFLOW_POLYGLOT_CERT`` and ``HELIXFLOW_POLYGLOT_KEY`` (a client
  certificate): call an already running deployment.
* Otherwise (the default, and what CI runs) start, in this process, one real
  worker (llama.cpp with the packaged Gemma 3 270M, mTLS) and the real router
  in front of it twice: once plaintext, once with a mutual-TLS listener. All
  certificates come from ``init_dev_pki``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from helixflow.common.tls import TlsFiles
from helixflow.v1 import inference_pb2

from .endpoints import Endpoint, InferenceServer

INFERENCE_SERVICE = inference_pb2.DESCRIPTOR.services_by_name["Inference"].full_name


def _from_environment() -> InferenceServer | None:
    target = os.environ.get("HELIXFLOW_POLYGLOT_TARGET")
    if not target:
        return None
    tls_target = os.environ.get("HELIXFLOW_POLYGLOT_TLS_TARGET")
    ca = os.environ.get("HELIXFLOW_POLYGLOT_CA")
    if not tls_target or not ca:
        pytest.fail("HELIXFLOW_POLYGLOT_TARGET needs HELIXFLOW_POLYGLOT_TLS_TARGET and HELIXFLOW_POLYGLOT_CA too")
    cert, key = os.environ.get("HELIXFLOW_POLYGLOT_CERT"), os.environ.get("HELIXFLOW_POLYGLOT_KEY")
    tls = Endpoint(tls_target, Path(ca), Path(cert) if cert else None, Path(key) if key else None)
    return InferenceServer(Endpoint(target), tls)


@contextlib.asynccontextmanager
async def _real_worker(pki: dict[str, TlsFiles]) -> AsyncIterator[str]:
    """A real worker (llama.cpp, the packaged Gemma 3 270M) on a free port, mTLS with the dev PKI."""
    from helixflow.common.config import TlsSettings
    from helixflow.worker.config import WorkerSettings
    from helixflow.worker.server import create_server

    files = pki["worker"]
    settings = WorkerSettings.model_validate(
        {
            "listen": "127.0.0.1:0",
            "tls": TlsSettings(ca_file=files.ca_file, cert_file=files.cert_file, key_file=files.key_file),
            "backend": "llama_cpp",
            "max_sequences": 4,
            "metrics_port": 0,
            "drain_grace_s": 1.0,
        }
    )
    server, port = create_server(settings)
    await server.start()  # returns once the model is loaded and the worker reports ready
    try:
        yield f"localhost:{port}"
    finally:
        await server.stop()


async def _wait_until_serving(channel: grpc.aio.Channel) -> None:
    """Follow the router's readiness (health of the Inference service) until it can route."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service=INFERENCE_SERVICE)
    async with asyncio.timeout(60):
        async for status in stub.Watch(request):
            if status.status == health_pb2.HealthCheckResponse.SERVING:
                return


@contextlib.asynccontextmanager
async def _real_router(pki: dict[str, TlsFiles], worker: str, listener: TlsFiles | None) -> AsyncIterator[Endpoint]:
    """The real router in front of ``worker``; ``listener`` None serves plaintext, else mutual TLS."""
    from helixflow.common.config import TlsSettings
    from helixflow.common.tls import channel_credentials
    from helixflow.router.config import RouterSettings
    from helixflow.router.server import create_server

    def tls(files: TlsFiles | None) -> TlsSettings:
        if files is None:
            return TlsSettings(insecure=True)
        return TlsSettings(ca_file=files.ca_file, cert_file=files.cert_file, key_file=files.key_file)

    settings = RouterSettings.model_validate(
        {
            "listen": "127.0.0.1:0",
            "tls": tls(listener),
            "worker_tls": tls(pki["router"]),
            "workers": [worker],
            "metrics_port": 0,
            "drain_grace_s": 1.0,
            # These clients show the stubs, not credentials: auth is off explicitly.
            "access": {"auth_enabled": False},
        }
    )
    server, port = create_server(settings)
    await server.start()
    try:
        if listener is None:
            endpoint = Endpoint(f"127.0.0.1:{port}")
            channel = grpc.aio.insecure_channel(endpoint.target)
        else:
            # The router's TLS listener is mutual: clients present a certificate from the same CA.
            client = pki["router"]
            endpoint = Endpoint(f"localhost:{port}", client.ca_file, client.cert_file, client.key_file)
            channel = grpc.aio.secure_channel(endpoint.target, channel_credentials(client))
        async with channel:
            await _wait_until_serving(channel)
        yield endpoint
    finally:
        await server.stop(1.0)


@contextlib.asynccontextmanager
async def _start_router(pki: dict[str, TlsFiles]) -> AsyncIterator[InferenceServer]:
    """The real router twice (plaintext, and mutual TLS with the dev CA) in front of one real worker."""
    async with (
        _real_worker(pki) as worker,
        _real_router(pki, worker, None) as plaintext,
        _real_router(pki, worker, pki["worker"]) as tls,
    ):
        yield InferenceServer(plaintext, tls)


@pytest.fixture(scope="session")
async def inference_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InferenceServer]:
    external = _from_environment()
    if external is not None:
        yield external
        return
    from helixflow.common.certs import init_dev_pki

    pki = init_dev_pki(tmp_path_factory.mktemp("pki"))
    async with _start_router(pki) as server:
        yield server
