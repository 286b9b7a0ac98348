"""One real llama-server (packaged Gemma 3 270M) per session, behind an API key, and the
two upstream engines pointed at it: ``openai`` (/v1/...) and ``anthropic`` (/v1/messages)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from llama_server import llama_server

from helixflow.worker.backends.anthropic_messages import AnthropicEngine
from helixflow.worker.backends.openai_compat import OpenAIEngine
from helixflow.worker.upstream_settings import UpstreamSettings

# A context small enough that an over-long prompt is cheap to build.
CONTEXT = 4096


@pytest.fixture(scope="session")
def upstream_key() -> str:
    return f"sk-upstream-{secrets.token_hex(16)}"


@pytest.fixture(scope="session")
def upstream_key_file(tmp_path_factory: pytest.TempPathFactory, upstream_key: str) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "upstream-key"
    path.write_text(upstream_key + "\n")
    return path


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def llama_url(upstream_key: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    log_file = tmp_path_factory.mktemp("llama-server") / "server.log"
    async with llama_server(parallel=4, context=CONTEXT, api_key=upstream_key, log_file=log_file) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def openai_engine(llama_url: str, upstream_key_file: Path) -> AsyncIterator[OpenAIEngine]:
    engine = OpenAIEngine(
        "gemma-upstream", UpstreamSettings(base_url=f"{llama_url}/v1", api_key_file=upstream_key_file)
    )
    await engine.load()
    yield engine
    await engine.close()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def anthropic_engine(llama_url: str, upstream_key_file: Path) -> AsyncIterator[AnthropicEngine]:
    engine = AnthropicEngine("gemma-messages", UpstreamSettings(base_url=llama_url, api_key_file=upstream_key_file))
    await engine.load()
    yield engine
    await engine.close()
