"""k8s/components/worker-gpu/model_cache.py, the script the download Job and the workers'
init container run (from a ConfigMap). huggingface_hub is replaced by a stand-in that
records the call and writes a snapshot the way the Hub cache lays it out."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.k8s.conftest import ROOT, container_env

SCRIPT = ROOT / "k8s" / "components" / "worker-gpu" / "model_cache.py"
REPO = "Org/Model-0.5B"
REVISION = "0123456789abcdef0123456789abcdef01234567"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("model_cache_under_test", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def snapshot_download(repo_id: str, *, revision: str, cache_dir: Path, token: str | None) -> str:
        calls.append({"repo_id": repo_id, "revision": revision, "cache_dir": cache_dir, "token": token})
        folder = Path(cache_dir) / f"models--{repo_id.replace('/', '--')}" / "snapshots" / revision
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        return str(folder)

    fake = types.ModuleType("huggingface_hub")
    fake.snapshot_download = snapshot_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    monkeypatch.setenv("HF_MODEL_REPO", REPO)
    monkeypatch.setenv("HF_MODEL_REVISION", REVISION)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "models" / "hub"))
    monkeypatch.setenv("HELIXFLOW_MODEL_LINK", str(tmp_path / "run" / "model"))
    (tmp_path / "run").mkdir()
    return calls


def test_download_pins_the_revision_and_passes_the_token(
    hub: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")
    path = _load().download()
    assert hub == [
        {"repo_id": REPO, "revision": REVISION, "cache_dir": tmp_path / "models" / "hub", "token": "hf_secret_token"}
    ]
    assert path.parent.name == "snapshots"  # the Hub cache layout, which a catalog resolves offline


def test_wait_links_the_snapshot_only_once_the_download_finished(hub: list[dict[str, Any]], tmp_path: Path) -> None:
    module = _load()
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the Job finishes while the init container waits
        slept.append(seconds)
        module.download()

    module.time = types.SimpleNamespace(sleep=sleep)
    target = module.wait()
    link = tmp_path / "run" / "model"
    assert slept  # it waited: no snapshot was marked complete before
    assert link.is_symlink()
    assert link.resolve() == target.resolve()
    assert (link / "config.json").read_text() == "{}"


def test_branch_revisions_and_broken_marks_are_refused(
    hub: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = _load()
    monkeypatch.setenv("HF_MODEL_REVISION", "main")
    with pytest.raises(SystemExit, match="40-hex commit"):
        module.download()
    assert hub == []
    monkeypatch.setenv("HF_MODEL_REVISION", REVISION)
    mark = module.marker(tmp_path / "models" / "hub", REPO, REVISION)
    mark.parent.mkdir(parents=True)
    mark.write_text(str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit, match="re-run the download Job"):
        module.wait()


def test_the_pods_run_this_script(overlay: str, docs: list[dict[str, Any]]) -> None:
    if overlay != "gpu":
        return
    configmap = next(
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("helixflow-model-cache-script")
    )
    assert configmap["data"][SCRIPT.name] == SCRIPT.read_text()
    job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == "helixflow-model-download")
    worker = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "helixflow-worker")
    for pod, container, mode in (
        (job["spec"]["template"]["spec"], job["spec"]["template"]["spec"]["containers"][0], "download"),
        (worker["spec"]["template"]["spec"], worker["spec"]["template"]["spec"]["initContainers"][0], "wait"),
    ):
        volume = next(
            v["name"] for v in pod["volumes"] if v.get("configMap", {}).get("name") == configmap["metadata"]["name"]
        )
        mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume)
        assert container["command"] == ["python3", f"{mount}/{SCRIPT.name}", mode]
        env = container_env(container, "helixflow")
        assert {"HF_MODEL_REPO", "HF_MODEL_REVISION", "HF_HUB_CACHE"} <= env.keys()
        cache_mount = next(m for m in container["volumeMounts"] if env["HF_HUB_CACHE"].startswith(m["mountPath"] + "/"))
        claim = next(v for v in pod["volumes"] if v["name"] == cache_mount["name"])["persistentVolumeClaim"]
        assert claim["claimName"] == "helixflow-model-cache"
        assert cache_mount.get("readOnly", False) == (mode == "wait")  # only the Job writes
