"""``helixflow keys``: bootstrap an admin key directly, then manage keys through Admin."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helixflow.cli.main import app

from .conftest import MiniRouter, settings_for, start_router, stop_router
from .redis_proc import RedisProcess


@pytest.fixture
def router_in_thread(redis_proc: RedisProcess) -> Iterator[str]:
    """The CLI is synchronous, so the router runs on its own event loop in a thread."""
    import asyncio

    loop = asyncio.new_event_loop()
    started: list[MiniRouter] = []
    ready = threading.Event()

    async def main() -> None:
        started.append(await start_router(settings_for(redis_proc.url)))
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(main()), loop.run_forever()), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"127.0.0.1:{started[0].port}"
    asyncio.run_coroutine_threadsafe(stop_router(started[0]), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_keys_cli_round_trip(router_in_thread: str, redis_proc: RedisProcess, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "300"})
    boot = runner.invoke(
        app, ["keys", "create", "root", "--permission", "admin", "--direct", "--redis-url", redis_proc.url]
    )
    assert boot.exit_code == 0, boot.output
    admin = re.search(r"(hf_[\w-]+)", boot.output.split("secret")[-1])
    assert admin is not None
    common = ["--router", router_in_thread, "--token", admin.group(1)]
    made = runner.invoke(app, ["keys", "create", "svc", "--model", "gemma-*", "--rpm", "20", *common])
    assert made.exit_code == 0, made.output
    key_id = re.search(r"(key_[0-9a-f]+)", made.output)
    assert key_id is not None
    listed = runner.invoke(app, ["keys", "list", *common])
    assert key_id.group(1) in listed.output
    shown = runner.invoke(app, ["keys", "show", key_id.group(1), *common])
    assert "usage: 0 requests" in shown.output
    revoked = runner.invoke(app, ["keys", "revoke", key_id.group(1), *common])
    assert revoked.exit_code == 0, revoked.output
    assert key_id.group(1) not in runner.invoke(app, ["keys", "list", *common]).output
    denied = runner.invoke(app, ["keys", "list", "--router", router_in_thread, "--token", "hf_nope"])
    assert denied.exit_code != 0


def test_secret_file_installs_an_operator_key_once(
    router_in_thread: str, redis_proc: RedisProcess, tmp_path: Path
) -> None:
    """The Kubernetes bootstrap Job (k8s/base/key-bootstrap.yaml): the admin key comes from a
    mounted Secret, runs any number of times, and never prints the secret."""
    secret = "hf_operator-chosen-" + "x" * 24
    key_file = tmp_path / "key"
    key_file.write_text(secret + "\n")  # `kubectl create secret --from-file` keeps a newline
    runner = CliRunner(env={"COLUMNS": "300"})
    boot = ["keys", "create", "boot-admin", "--permission", "admin", "--direct", "--redis-url", redis_proc.url]
    first = runner.invoke(app, [*boot, "--secret-file", str(key_file)])
    assert first.exit_code == 0, first.output
    assert "installed" in first.output
    assert secret not in first.output
    again = runner.invoke(app, [*boot, "--secret-file", str(key_file)])
    assert again.exit_code == 0, again.output
    assert "already installed" in again.output
    listed = runner.invoke(app, ["keys", "list", "--router", router_in_thread, "--token", secret])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("boot-admin") == 1  # the second run added nothing


def test_secret_file_refuses_a_short_secret_and_a_router_create(redis_proc: RedisProcess, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("short")
    runner = CliRunner()
    direct = ["keys", "create", "weak", "--direct", "--redis-url", redis_proc.url, "--secret-file", str(key_file)]
    weak = runner.invoke(app, direct)
    assert weak.exit_code != 0
    assert "at least" in str(weak.exception)
    key_file.write_text("hf_" + "y" * 40)
    via_router = runner.invoke(app, ["keys", "create", "x", "--secret-file", str(key_file)])
    assert via_router.exit_code != 0
    assert "--direct" in via_router.output


def test_projects_cli_round_trip(router_in_thread: str, redis_proc: RedisProcess) -> None:
    runner = CliRunner(env={"COLUMNS": "300"})
    boot = runner.invoke(
        app, ["keys", "create", "root", "--permission", "admin", "--direct", "--redis-url", redis_proc.url]
    )
    admin = re.search(r"(hf_[\w-]+)", boot.output.split("secret")[-1])
    assert admin is not None
    common = ["--router", router_in_thread, "--token", admin.group(1)]
    made = runner.invoke(app, ["keys", "project", "create", "team-a", "--rpm", "30", "--budget-usd", "5", *common])
    assert made.exit_code == 0, made.output
    project = re.search(r"(prj_[0-9a-f]+)", made.output)
    assert project is not None
    assert "$5/month" in made.output
    key = runner.invoke(
        app,
        [
            "keys",
            "create",
            "svc",
            "--project",
            project.group(1),
            "--budget-usd",
            "1",
            "--budget-period",
            "day",
            *common,
        ],
    )
    assert key.exit_code == 0, key.output
    key_id = re.search(r"(key_[0-9a-f]+)", key.output)
    assert key_id is not None
    shown = runner.invoke(app, ["keys", "show", key_id.group(1), *common])
    assert "budget: $0.000000 of $1" in shown.output
    assert f"project: {project.group(1)}" in shown.output
    updated = runner.invoke(app, ["keys", "project", "update", project.group(1), "--rpm", "60", *common])
    assert updated.exit_code == 0, updated.output
    details = runner.invoke(app, ["keys", "project", "show", project.group(1), *common])
    assert "60" in details.output
    assert key_id.group(1) in details.output  # the project's keys and their usage
    assert project.group(1) in runner.invoke(app, ["keys", "project", "list", *common]).output
    gone = runner.invoke(app, ["keys", "project", "delete", project.group(1), *common])
    assert "deleted" in gone.output
    bad = runner.invoke(app, ["keys", "project", "create", "x", "--budget-period", "weekly", *common])
    assert bad.exit_code != 0
