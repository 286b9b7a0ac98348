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

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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


async def _start_router(pki: Path) -> AsyncIterator[InferenceServer]:
    """Start the real router (and the workers it routes to) on port 0.

    The router has not landed yet: ``helixflow.router`` exports no
    ``create_server``. Wiring it needs a worker with a real engine, a router
    config listing that worker (mTLS with pki/router.pem), one plaintext
    listener and one TLS listener using pki/worker.pem (SAN localhost).
    """
    try:
        from helixflow.router import create_server  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        unavailable("the router: helixflow.router.create_server has not landed; set HELIXFLOW_POLYGLOT_TARGET")
    pytest.fail(f"wire helixflow.router.create_server into tests/polyglot/conftest.py (certs in {pki})")
    yield InferenceServer(Endpoint(""), Endpoint(""))  # pragma: no cover


@pytest.fixture(scope="session")
async def inference_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InferenceServer]:
    external = _from_environment()
    if external is not None:
        yield external
        return
    from helixflow.common.certs import init_dev_pki

    pki = tmp_path_factory.mktemp("pki")
    init_dev_pki(pki)
    async for server in _start_router(pki):
        yield server
