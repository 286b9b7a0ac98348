"""The Dockerfiles under k8s/docker agree with the packaging: every file they
COPY from the build context exists, they start a real console script with a
real sub-command, they run as a non-root user, and hadolint passes. They are
not built here (no Docker engine)."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "k8s" / "docker"
DOCKERFILES = sorted(p.name for p in DOCKER.glob("*.Dockerfile"))
# Image -> the Deployment component that runs it.
COMPONENT = {
    "router.Dockerfile": "router",
    "bridge.Dockerfile": "bridge",
    "worker-cpu.Dockerfile": "worker",
    "worker-gpu.Dockerfile": "worker",
}


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in text.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _final_stage(path: Path) -> list[tuple[str, str]]:
    steps = _instructions(path)
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def _subcommands() -> set[str]:
    from helixflow.cli.main import app

    group: Any = typer.main.get_command(app)
    return set(group.commands)


def test_the_four_images_exist() -> None:
    assert set(DOCKERFILES) == set(COMPONENT)


@pytest.mark.parametrize("name", DOCKERFILES)
def test_copied_files_exist(name: str) -> None:
    for keyword, args in _instructions(DOCKER / name):
        if keyword in ("COPY", "ADD") and "--from=" not in args:
            *sources, _dest = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"{name}: COPY {source}: no such file in the repository"


@pytest.mark.parametrize("name", DOCKERFILES)
def test_runs_a_real_entry_point(name: str) -> None:
    final = dict(_final_stage(DOCKER / name))  # last ENTRYPOINT/CMD wins, as in Docker
    entrypoint, cmd = json.loads(final["ENTRYPOINT"]), json.loads(final["CMD"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint == ["helixflow"]
    assert "helixflow" in scripts
    assert cmd[0] in _subcommands(), f"{name}: `helixflow {cmd[0]}` is not a sub-command"
    assert cmd[0] == COMPONENT[name]


def test_manifest_args_are_sub_commands(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        if doc["kind"] == "Deployment" and str(doc["metadata"]["name"]).startswith("helixflow-"):
            container = doc["spec"]["template"]["spec"]["containers"][0]
            if "ghcr.io/helixflow/" in container["image"]:
                assert container["args"][0] in _subcommands(), doc["metadata"]["name"]


@pytest.mark.parametrize("name", DOCKERFILES)
def test_final_stage_is_non_root(name: str) -> None:
    users = [args for keyword, args in _final_stage(DOCKER / name) if keyword == "USER"]
    assert users, f"{name}: no USER in the final stage"
    assert users[-1].split(":")[0] not in ("root", "0"), name


@pytest.mark.parametrize("name", DOCKERFILES)
def test_exposed_ports_match_the_manifests(name: str, docs: list[dict[str, Any]]) -> None:
    exposed = {int(p) for keyword, args in _final_stage(DOCKER / name) if keyword == "EXPOSE" for p in args.split()}
    component = COMPONENT[name]
    deployment = next(
        d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["labels"]["app.kubernetes.io/component"] == component
    )
    declared = {p["containerPort"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert exposed == declared, name


def test_hadolint_passes(hadolint: str) -> None:
    result = subprocess.run(
        [hadolint, *(str(DOCKER / n) for n in DOCKERFILES)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_gpu_image_base_has_a_vllm_the_backend_supports() -> None:
    # The GPU worker takes vLLM from its base image, so the tag must satisfy the vllm extra.
    from packaging.requirements import Requirement
    from packaging.version import Version

    image = _final_stage(DOCKER / "worker-gpu.Dockerfile")[0][1]
    match = re.fullmatch(r"vllm/vllm-openai:v(\S+)", image)
    assert match is not None, image
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    requirement = Requirement(extras["vllm"][0])
    assert requirement.name == "vllm"
    assert Version(match.group(1)) in requirement.specifier, (image, str(requirement))
