"""Router -> worker mTLS details that Kubernetes needs: verifying the Service name
while dialling pod IPs, and picking up rotated certificates without a restart."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from helixflow.common.certs import create_ca, issue
from helixflow.common.tls import TlsFiles
from helixflow.router.config import RouterSettings
from helixflow.v1 import common_pb2, inference_pb2
from helixflow.worker.engine import Event, GenerationRequest
from helixflow.worker.servicer import WorkerServicer
from tests.router.conftest import CountingEngine, router, wait_for, worker

SERVICE_NAME = "helixflow-worker.helixflow.svc.cluster.local"


def _pki(folder: Path, worker_names: tuple[str, ...]) -> dict[str, TlsFiles]:
    ca = create_ca(folder)
    return {"router": issue(folder, "router", ca), "worker": issue(folder, "worker", ca, names=worker_names)}


def _gen(prompt: str = "hello", max_tokens: int = 4) -> inference_pb2.GenerateRequest:
    return inference_pb2.GenerateRequest(
        model="fake", prompt=prompt, sampling=common_pb2.SamplingParams(max_tokens=max_tokens)
    )


async def test_worker_cert_naming_only_the_service_is_verified_by_that_name(tmp_path: Path) -> None:
    pki = _pki(tmp_path, (SERVICE_NAME,))  # no IP SANs: dialling 127.0.0.1 alone would fail verification
    async with (
        worker(pki, CountingEngine()) as (_, addr),
        router(pki, [addr], worker_tls_server_name=SERVICE_NAME) as (_, stub),
    ):
        replies = [r async for r in stub.Generate(_gen())]
        assert replies[-1].complete.usage.completion_tokens == 4


async def test_server_name_defaults_to_the_worker_dns_host(tmp_path: Path) -> None:
    pki = _pki(tmp_path, ("localhost",))
    async with worker(pki, CountingEngine()) as (_, addr):
        port = addr.rpartition(":")[2]
        # "localhost" resolves to 127.0.0.1 (and maybe ::1, where nothing listens).
        async with router(pki, [], worker_dns=f"localhost:{port}") as (rs, stub):
            await wait_for(lambda: bool(rs.pool.routable()))
            assert next(iter(rs.pool.routable())).address == f"127.0.0.1:{port}"
            replies = [r async for r in stub.Generate(_gen())]
            assert replies[-1].complete.usage.completion_tokens == 4


def test_server_name_setting() -> None:
    assert RouterSettings(worker_dns="workers.ns.svc:50061").worker_tls_name() == "workers.ns.svc"
    assert RouterSettings(worker_dns="w:1", worker_tls_server_name="x").worker_tls_name() == "x"
    assert RouterSettings(workers=["10.0.0.1:50061"]).worker_tls_name() is None


class GatedEngine(CountingEngine):
    """Streams one token, then holds prompts starting with "hold" until ``gate`` opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.holding = asyncio.Event()

    async def generate(self, request: GenerationRequest) -> AsyncGenerator[Event, None]:
        held = str(getattr(request.prompt, "text", "")).startswith("hold")
        produced = 0
        async for event in super().generate(request):
            yield event
            produced += 1
            if held and produced == 1:
                self.holding.set()
                await self.gate.wait()


def _rotate(files: TlsFiles, ca_dir: Path, stem: str, names: tuple[str, ...]) -> x509.Certificate:
    """Issue a new certificate from the same CA and write it over ``files`` in place."""
    ca_cert = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    ca_key: Any = load_pem_private_key((ca_dir / "ca-key.pem").read_bytes(), None)
    fresh_dir = ca_dir / f"new-{stem}"
    fresh_dir.mkdir()
    shutil.copy(ca_dir / "ca.pem", fresh_dir / "ca.pem")
    fresh = issue(fresh_dir, stem, (ca_cert, ca_key), names=names)
    files.key_file.write_bytes(fresh.key_file.read_bytes())
    files.cert_file.write_bytes(fresh.cert_file.read_bytes())
    return x509.load_pem_x509_certificate(fresh.cert_file.read_bytes())


def _peer_serial(port: int, client: TlsFiles) -> int:
    """Serial of the certificate the worker presents to a brand-new connection."""
    context = ssl.create_default_context(cafile=str(client.ca_file))
    context.load_cert_chain(str(client.cert_file), str(client.key_file))
    context.set_alpn_protocols(["h2"])
    with context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost") as s:
        der = s.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


async def test_rotated_certificates_serve_new_connections_and_keep_open_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = _pki(tmp_path, ("localhost", "127.0.0.1"))
    # Record which client certificate each Generate arrived with (the worker's view of the router).
    client_names: list[str] = []
    original = WorkerServicer.Generate

    def recording(self: WorkerServicer, request: Any, context: Any) -> Any:
        client_names.append(context.auth_context()["x509_common_name"][0].decode())
        return original(self, request, context)

    monkeypatch.setattr(WorkerServicer, "Generate", recording)
    engine = GatedEngine()
    async with (
        worker(pki, engine) as (_, addr),
        router(pki, [addr], worker_tls_reload_s=0.05) as (rs, stub),
    ):
        port = int(addr.rpartition(":")[2])
        held = stub.Generate(_gen("hold this stream", max_tokens=6))
        first = await held.read()
        assert isinstance(first, inference_pb2.GenerateResponse)
        assert first.delta.text
        await engine.holding.wait()
        old_serial = _peer_serial(port, pki["router"])

        new_server = _rotate(pki["worker"], tmp_path, "worker", ("localhost", "127.0.0.1"))
        _rotate(pki["router"], tmp_path, "router-rotated", ("localhost",))
        generation = rs.pool._channels.generation
        await wait_for(lambda: rs.pool._channels.generation > generation)

        # A new connection gets the new server certificate...
        assert _peer_serial(port, pki["router"]) == new_server.serial_number != old_serial
        # ...and the router's new calls present the new client certificate and succeed.
        await wait_for(lambda: bool(rs.pool.routable()))
        replies = [r async for r in stub.Generate(_gen("after rotation"))]
        assert replies[-1].complete.usage.completion_tokens == 4
        assert client_names == ["router", "router-rotated"]

        # The stream opened before the rotation still completes.
        engine.gate.set()
        last = first
        while (reply := await held.read()) is not grpc.aio.EOF:
            assert isinstance(reply, inference_pb2.GenerateResponse)
            last = reply
        assert last.complete.usage.completion_tokens == 6
