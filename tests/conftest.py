"""Fixtures shared by every test package: dev PKI and a loaded real model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from helixflow.common.certs import init_dev_pki
from helixflow.common.config import TlsSettings
from helixflow.common.tls import TlsFiles
from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_cpp import LlamaCppEngine


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TlsFiles]:
    """A dev CA with router (client) and worker (server) certificates."""
    return init_dev_pki(tmp_path_factory.mktemp("pki"))


def tls_settings(files: TlsFiles) -> TlsSettings:
    return TlsSettings(ca_file=files.ca_file, cert_file=files.cert_file, key_file=files.key_file)


@pytest_asyncio.fixture(scope="session")
async def llama_engine() -> AsyncIterator[LlamaCppEngine]:
    """The real default model (Gemma 3 270M), loaded once per session, 8 slots."""
    engine = LlamaCppEngine(LlamaEngineConfig(max_sequences=8, max_waiting=32, n_ctx_per_seq=1024))
    await engine.load()
    yield engine
    await engine.close()


async def wait_for(predicate: Callable[[], bool], within_s: float = 10.0) -> bool:
    """Poll a condition that has no event to await (engine state in another thread)."""
    for _ in range(int(within_s / 0.005)):
        if predicate():
            return True
        await asyncio.sleep(0.005)
    return predicate()
