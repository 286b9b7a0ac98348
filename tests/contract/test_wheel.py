"""Packaging: a wheel built from this checkout installs into a fresh venv and imports every part."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "helixflow.v1.inference_pb2_grpc",
    "helixflow.v1.worker_pb2_grpc",
    "helixflow.v1.admin_pb2_grpc",
    "helixflow.common.errors",
    "helixflow.router",
    "helixflow.worker",
    "helixflow.rest_bridge",
    "helixflow.stack",
    "helixflow.cli.main",
]


@pytest.mark.slow
def test_wheel_installs_and_imports_in_fresh_venv(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheels = list(wheel_dir.glob("helixflow-*.whl"))
    assert len(wheels) == 1
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Dependencies come from pip's cache/registry; the project itself only from the wheel.
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheels[0])], check=True, capture_output=True)
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    print(importlib.import_module(m).__file__)"
    result = subprocess.run([python, "-c", code, *MODULES], check=True, capture_output=True, text=True, cwd=tmp_path)
    files = result.stdout.split()
    assert len(files) == len(MODULES)
    assert all(str(env_dir) in f for f in files), "imported from outside the fresh venv"
    cli = subprocess.run([env_dir / "bin" / "helixflow", "--help"], capture_output=True, text=True, check=False)
    assert cli.returncode == 0
    assert "certs" in cli.stdout
