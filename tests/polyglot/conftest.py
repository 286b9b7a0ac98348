"""The live Inference server that the polyglot clients call.

Everything in tests/polyglot gets its server from the one ``inference_server``
fixture. It gives a plaintext endpoint and a server-TLS endpoint whose
certificate is signed by the dev CA (``helixflow certs init``).

Two ways to get one:

* ``HELIXFLOW_POLYGLOT_TARGET`` (host:port, plaintext) plus
  ``HELIXFLOW_POLYGLOT_TLS_TARGET`` and ``HELIXFLOW_POLYGLOT_CA`` (the CA PEM
  that signed the TLS endpoint's certificate), and for mutual TLS
  ``HELIXFLOW_POLYGLOT_CERT`` and ``HELIXFLOW_POLYGLOT_KEY`` (a client
  certificate): call an already running deployment.
* Otherwise start the real router in process with
  ``helixflow.router.create_server(config) -> (server, port)``; see
  ``_start_router``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helixflow.common.tls import TlsFiles

from .endpoints import Endpoint, InferenceServer
from .toolchains import unavailable


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


async def _start_router(pki: dict[str, TlsFiles]) -> AsyncIterator[InferenceServer]:
    """Start the real router, in front of a real worker, on free ports.

    The router has not landed yet: ``helixflow.router`` exports no
    ``create_server``. Wiring it needs: a router config that lists the worker
    from ``_real_worker`` as a static worker (mTLS with ``pki["router"]``), one
    plaintext listener and one TLS listener (server certificate
    ``pki["worker"]``, SAN localhost, same CA), then ``await server.start()``.
    If the router's TLS listener requires client certificates, pass
    ``pki["router"]`` as the TLS Endpoint's cert_file/key_file.
    """
    try:
        from helixflow.router import create_server  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        unavailable("the router: helixflow.router.create_server has not landed; set HELIXFLOW_POLYGLOT_TARGET")
    async with _real_worker(pki) as worker_target:
        pytest.fail(f"wire helixflow.router.create_server into tests/polyglot/conftest.py (worker at {worker_target})")
        yield InferenceServer(Endpoint(""), Endpoint(""))  # pragma: no cover


@pytest.fixture(scope="session")
async def inference_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InferenceServer]:
    external = _from_environment()
    if external is not None:
        yield external
        return
    from helixflow.common.certs import init_dev_pki

    pki = init_dev_pki(tmp_path_factory.mktemp("pki"))
    async for server in _start_router(pki):
        yield server
