"""``helixflow secrets``: set (from a file or stdin, never argv), list, rotate, delete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from helixflow.cli.main import app
from helixflow.common.secrets import KEYRING_ENV, generate_key

from .redis_proc import RedisProcess
from .test_keys_cli import router_in_thread

__all__ = ["router_in_thread"]


@pytest.fixture
def keyring_env(monkeypatch: pytest.MonkeyPatch, redis_proc: RedisProcess) -> str:
    """Set before the router starts (it reads the keyring once, at build)."""
    with redis.Redis.from_url(redis_proc.url) as client:
        client.flushall()
    key = generate_key()
    monkeypatch.setenv(KEYRING_ENV, f"k1:{key}")
    return key


def test_secrets_cli_round_trip(
    keyring_env: str, router_in_thread: str, redis_proc: RedisProcess, tmp_path: Path
) -> None:
    runner = CliRunner(env={"COLUMNS": "300"})
    boot = runner.invoke(
        app, ["keys", "create", "root", "--permission", "admin", "--direct", "--redis-url", redis_proc.url]
    )
    admin = re.search(r"(hf_[\w-]+)", boot.output.split("secret")[-1])
    assert admin is not None, boot.output
    common = ["--router", router_in_thread, "--token", admin.group(1)]
    value_file = tmp_path / "provider-key"
    value_file.write_text("sk-from-a-file-0123456789\n")
    from_file = runner.invoke(app, ["secrets", "set", "openai", "--value-file", str(value_file), *common])
    assert from_file.exit_code == 0, from_file.output
    from_stdin = runner.invoke(app, ["secrets", "set", "anthropic", *common], input="sk-ant-from-stdin-987\n")
    assert from_stdin.exit_code == 0, from_stdin.output
    listed = runner.invoke(app, ["secrets", "list", *common])
    assert {"openai", "anthropic", "k1"} <= set(listed.output.split())
    assert "sk-" not in from_file.output + from_stdin.output + listed.output

    new = runner.invoke(app, ["secrets", "keygen", "k2"])
    assert re.fullmatch(r"k2:[A-Za-z0-9+/=]{44}", new.stdout.strip()), new.output
    rotated = runner.invoke(app, ["secrets", "rotate", *common])
    assert "under key k1: 0 re-encrypted, 2 already current" in rotated.output

    deleted = runner.invoke(app, ["secrets", "delete", "openai", *common])
    assert "openai: deleted" in deleted.output
    assert "openai" not in runner.invoke(app, ["secrets", "list", *common]).output
    denied = runner.invoke(app, ["secrets", "list", "--router", router_in_thread, "--token", "hf_nope"])
    assert denied.exit_code != 0
