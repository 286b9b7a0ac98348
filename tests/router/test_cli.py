"""``helixflow chat`` and ``helixflow models`` against a live router (CLI in a child process)."""

from __future__ import annotations

import asyncio
import os
import sys

from helixflow.common.tls import TlsFiles
from tests.router.conftest import ROOT, CountingEngine, router, worker

PATHS = ("gen/python", "services/common", "services/worker", "services/router")


async def run_cli(*args: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in PATHS), "COLUMNS": "120"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helixflow.cli.main", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_chat_streams_and_models_lists(pki: dict[str, TlsFiles]) -> None:
    async with worker(pki, CountingEngine()) as (_, addr), router(pki, [addr], model_aliases={"f": "fake"}) as (rs, _):
        target = f"127.0.0.1:{rs.port}"
        code, out = await run_cli("chat", "hello there", "--router", target, "--max-tokens", "3")
        assert code == 0
        assert "tok tok tok" in out
        assert "length, 3 tokens" in out
        code, out = await run_cli("models", "--router", target)
        assert code == 0
        assert "fake" in out
        code, out = await run_cli("chat", "hi", "--router", target, "--model", "nope")
        assert code == 1
        assert "NOT_FOUND" in out
