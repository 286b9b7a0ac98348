"""Fixtures: real redis-server processes and routers-in-miniature sharing them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from helixflow.common.grpc_server import new_server
from helixflow.router.access.build import Access, build_access
from helixflow.router.access.settings import AccessSettings
from helixflow.router.servicer import InferenceServicer, add_to_server
from helixflow.v1 import admin_pb2_grpc, inference_pb2_grpc

from .fake_upstream import FakeModels, FakeUpstream
from .redis_proc import RedisProcess


@pytest.fixture(scope="session")
def redis_proc() -> Iterator[RedisProcess]:
    proc = RedisProcess()
    yield proc
    proc.kill()


@pytest.fixture
def fresh_redis() -> Iterator[RedisProcess]:
    """A redis-server of the test's own, for tests that kill it."""
    proc = RedisProcess()
    yield proc
    proc.kill()


@dataclass
class RsaKeys:
    private_pem: bytes
    public_pem: bytes
    public_file: Path


@pytest.fixture(scope="session")
def rsa_keys(tmp_path_factory: pytest.TempPathFactory) -> RsaKeys:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_file = tmp_path_factory.mktemp("jwt") / "public.pem"
    public_file.write_bytes(public_pem)
    return RsaKeys(private_pem, public_pem, public_file)


@dataclass
class MiniRouter:
    """One replica: a grpc.aio server with the real interceptors, Inference servicer,
    gate and Admin, in front of fake workers."""

    server: grpc.aio.Server
    port: int
    access: Access
    inference: FakeUpstream
    channel: grpc.aio.Channel

    @property
    def stub(self) -> inference_pb2_grpc.InferenceAsyncStub:
        return inference_pb2_grpc.InferenceStub(self.channel)

    @property
    def admin(self) -> admin_pb2_grpc.AdminAsyncStub:
        return admin_pb2_grpc.AdminStub(self.channel)


async def start_router(settings: AccessSettings) -> MiniRouter:
    access = build_access(settings)
    # The same server shape as the router's: new_server puts ErrorInterceptor innermost.
    server = new_server([access.auth])
    inference = FakeUpstream()
    servicer = InferenceServicer(FakeModels(), access.gate, inference, max_request_s=60.0)
    add_to_server(servicer, server)
    admin_pb2_grpc.add_AdminServicer_to_server(access.admin, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return MiniRouter(server, port, access, inference, channel)


async def stop_router(router: MiniRouter) -> None:
    await router.channel.close()
    await router.server.stop(None)
    await router.access.close()


@pytest_asyncio.fixture
async def router_factory() -> AsyncIterator[list[MiniRouter]]:
    """Collects routers started by a test and stops them afterwards."""
    started: list[MiniRouter] = []
    yield started
    for router in started:
        await stop_router(router)


def settings_for(url: str | None, rsa: RsaKeys | None = None, **extra: object) -> AccessSettings:
    values: dict[str, object] = {"redis_url": url}
    if rsa is not None:
        values.update(jwt_public_key_file=rsa.public_file, jwt_audience="helixflow", jwt_issuer="https://issuer.test")
    values.update(extra)
    return AccessSettings.model_validate(values)
