"""An overlay of a user's own: another namespace, another cluster domain, another Prometheus
release, the optional GPU node selector and the Gateway API instead of the Ingress. Nothing
of the defaults may leak into it, and it validates as strictly as the shipped overlays."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.k8s.conftest import ROOT, container_env, parse, render_dir
from tests.k8s.test_k8s_manifests import CRD_SCHEMAS, _is_builtin, _validate_strict

SETTINGS = {
    "clusterDomain": "corp.example",
    "prometheusRelease": "prom-main",
    "ingressHost": "llm.corp.example",
    "modelStorageClass": "efs-models",
    "gatewayName": "edge",
    "gatewayNamespace": "gateways",
}
NAMESPACE = "llm-prod"
HTTPROUTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "spec": {
            "type": "object",
            "required": ["parentRefs", "rules"],
            "additionalProperties": False,
            "properties": {
                "parentRefs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "namespace": {"type": "string"},
                            "sectionName": {"type": "string"},
                        },
                    },
                },
                "hostnames": {"type": "array", "items": {"type": "string"}},
                "rules": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "matches": {"type": "array"},
                            "backendRefs": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["name", "port"],
                                    "additionalProperties": False,
                                    "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                                },
                            },
                            "timeouts": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {"request": {"type": "string", "pattern": "^[0-9]+s$"}},
                            },
                        },
                    },
                },
            },
        }
    },
}


@functools.cache
def _custom() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "k8s", Path(tmp) / "k8s")
        gpu = ROOT / "k8s" / "overlays" / "gpu" / "kustomization.yaml"
        kustomization = yaml.safe_load(gpu.read_text())
        kustomization["namespace"] = NAMESPACE
        generator = next(g for g in kustomization["configMapGenerator"] if g["name"] == "helixflow-settings")
        values = dict(literal.split("=", 1) for literal in generator["literals"]) | SETTINGS
        generator["literals"] = [f"{k}={v}" for k, v in values.items()]
        components = kustomization["components"]
        components[-1:-1] = ["../../components/gpu-node-selector", "../../components/gateway-api"]
        overlay = Path(tmp) / "k8s" / "overlays" / "custom"
        overlay.mkdir()
        (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        return render_dir(overlay)


def _docs() -> list[dict[str, Any]]:
    return parse(_custom())


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _docs() if d["kind"] == kind}


def test_no_default_name_leaks() -> None:
    text = _custom()
    for literal in ("cluster.local", "helixflow.svc", "set-by-", "namespace: helixflow\n", "example.com"):
        assert literal not in text, literal
    for doc in _docs():
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == NAMESPACE
        else:
            assert doc["metadata"]["namespace"] == NAMESPACE, doc["metadata"]["name"]


def test_names_follow_the_namespace_and_domain() -> None:
    deployments = _by_kind("Deployment")

    def env(name: str) -> dict[str, str]:
        return container_env(deployments[name]["spec"]["template"]["spec"]["containers"][0], NAMESPACE)

    suffix = f"{NAMESPACE}.svc.{SETTINGS['clusterDomain']}"
    assert env("helixflow-router")["HELIXFLOW_ROUTER_WORKER_DNS"] == f"helixflow-worker.{suffix}:50061"
    assert (
        env("helixflow-bridge")["HELIXFLOW_BRIDGE_ROUTER_ADDRESS"] == f"dns:///helixflow-router-headless.{suffix}:50051"
    )
    for monitor in _by_kind("ServiceMonitor").values():
        assert monitor["metadata"]["labels"]["release"] == SETTINGS["prometheusRelease"]
    assert _by_kind("PersistentVolumeClaim")["helixflow-model-cache"]["spec"]["storageClassName"] == "efs-models"


def test_optional_components_apply() -> None:
    pod = _by_kind("Deployment")["helixflow-worker"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert "Ingress" not in {d["kind"] for d in _docs()}
    assert "helixflow-bridge-tls" not in _by_kind("Certificate")
    route = _by_kind("HTTPRoute")["helixflow-bridge"]
    jsonschema.validate(route, HTTPROUTE_SCHEMA)
    spec = route["spec"]
    assert spec["parentRefs"] == [{"name": "edge", "namespace": "gateways", "sectionName": "https"}]
    assert spec["hostnames"] == [SETTINGS["ingressHost"]]
    bridge = _by_kind("Service")["helixflow-bridge"]
    for rule in spec["rules"]:
        for ref in rule["backendRefs"]:
            assert ref["name"] == "helixflow-bridge"
            assert ref["port"] in {p["port"] for p in bridge["spec"]["ports"]}
        assert int(rule["timeouts"]["request"].rstrip("s")) >= 600
    policy = _by_kind("NetworkPolicy")["helixflow-bridge-gateway"]["spec"]
    assert policy["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateways"}}}
    ]


def test_custom_overlay_validates(kubernetes_validate: str) -> None:
    # gateway.networking.k8s.io is a CRD group despite its .k8s.io suffix (HTTPROUTE_SCHEMA above).
    builtin = [d for d in _docs() if _is_builtin(d) and d["kind"] != "HTTPRoute"]
    result = _validate_strict(kubernetes_validate, builtin)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Couldn't find schema" not in output, output
    for doc in _docs():
        if not _is_builtin(doc):
            jsonschema.validate(doc, CRD_SCHEMAS[(doc["apiVersion"], doc["kind"])])
