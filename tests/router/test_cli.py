"""``helixflow chat`` and ``helixflow models`` against a live router (CLI in a child process)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from helixflow.common.tls import TlsFiles
from tests.conftest import tls_settings
from tests.router.conftest import ROOT, CountingEngine, router, worker

PATHS = ("gen/python", "services/common", "services/worker", "services/router")


async def run_cli(*args: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in PATHS), "COLUMNS": "120"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helixflow.cli.main",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
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


async def test_chat_reaches_a_tls_router_with_client_certificate_and_api_key(
    pki: dict[str, TlsFiles], tmp_path: Path
) -> None:
    key_db = tmp_path / "keys.sqlite3"
    code, out = await run_cli("keys", "create", "cli-user", "--direct", "--key-db", str(key_db))
    assert code == 0, out
    secret = re.search(r"(hf_[\w-]+)", out.split("secret")[-1])
    assert secret is not None
    access = {"auth_enabled": True, "key_db_path": key_db}
    own = pki["worker"]  # any certificate from the dev CA naming 127.0.0.1 serves
    async with (
        worker(pki, CountingEngine()) as (_, addr),
        router(pki, [addr], tls=tls_settings(own), access=access) as (rs, _),
    ):
        target = f"127.0.0.1:{rs.port}"
        client = pki["router"]
        tls = ["--ca", str(client.ca_file), "--cert", str(client.cert_file), "--key", str(client.key_file)]
        code, out = await run_cli("chat", "hello", "--router", target, "--max-tokens", "2", *tls, "--token", secret[1])
        assert code == 0, out
        assert "length, 2 tokens" in out
        code, out = await run_cli("models", "--router", target, *tls, "--token", secret[1])
        assert code == 0, out
        assert "fake" in out
        code, out = await run_cli("chat", "hello", "--router", target, *tls)  # no API key
        assert code == 1
        assert "UNAUTHENTICATED" in out
        code, out = await run_cli("chat", "hello", "--router", target, "--ca", str(client.ca_file))  # no client cert
        assert code != 0
        assert "--ca, --cert and --key go together" in out
