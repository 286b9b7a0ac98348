"""Both overlays render with `kubectl kustomize` and validate offline.

Built-in kinds go through `kubernetes-validate --strict` (unknown fields are
errors). kubernetes-validate has no schemas for CRDs and only warns about them,
so cert-manager and Prometheus Operator objects are checked here against small
hand-written schemas of the fields we rely on: that is a smoke check of our
usage, not the CRDs' full OpenAPI validation.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import yaml

_ISSUER_REF = {
    "type": "object",
    "required": ["name", "kind"],
    "properties": {"name": {"type": "string"}, "kind": {"enum": ["Issuer", "ClusterIssuer"]}},
}
CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("cert-manager.io/v1", "Issuer"): {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "selfSigned": {"type": "object"},
                    "ca": {
                        "type": "object",
                        "required": ["secretName"],
                        "properties": {"secretName": {"type": "string"}},
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            }
        },
    },
    ("cert-manager.io/v1", "Certificate"): {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["secretName", "issuerRef"],
                "properties": {
                    "secretName": {"type": "string"},
                    "issuerRef": _ISSUER_REF,
                    "isCA": {"type": "boolean"},
                    "commonName": {"type": "string"},
                    "dnsNames": {"type": "array", "items": {"type": "string"}},
                    "duration": {"type": "string", "pattern": "^[0-9]+h$"},
                    "renewBefore": {"type": "string", "pattern": "^[0-9]+h$"},
                    "usages": {
                        "type": "array",
                        "items": {"enum": ["digital signature", "key encipherment", "server auth", "client auth"]},
                    },
                    "privateKey": {
                        "type": "object",
                        "properties": {
                            "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]},
                            "size": {"type": "integer"},
                            "rotationPolicy": {"enum": ["Never", "Always"]},
                        },
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            }
        },
    },
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["selector", "endpoints"],
                "properties": {
                    "selector": {"type": "object", "required": ["matchLabels"]},
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["port"],
                            "properties": {
                                "port": {"type": "string"},
                                "path": {"type": "string"},
                                "interval": {"type": "string"},
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            }
        },
    },
}
WORKLOADS = ("Deployment", "StatefulSet", "Job")
ROOT = Path(__file__).resolve().parents[2]


def _is_builtin(doc: dict[str, Any]) -> bool:
    group = str(doc["apiVersion"]).rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def _validate_strict(validator: str, docs: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [validator, "--strict", "--quiet", "-"],
        input=yaml.safe_dump_all(docs),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(d["metadata"]["name"], d["spec"]["template"]["spec"]) for d in docs if d["kind"] in WORKLOADS]


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_builtin_kinds_validate_strictly(kubernetes_validate: str, docs: list[dict[str, Any]]) -> None:
    builtin = [d for d in docs if _is_builtin(d)]
    result = _validate_strict(kubernetes_validate, builtin)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Couldn't find schema" not in output, output


def test_crd_kinds_match_their_schemas(docs: list[dict[str, Any]]) -> None:
    crds = [d for d in docs if not _is_builtin(d)]
    assert {(d["apiVersion"], d["kind"]) for d in crds} == set(CRD_SCHEMAS)
    for doc in crds:
        jsonschema.validate(doc, CRD_SCHEMAS[(doc["apiVersion"], doc["kind"])])


def test_strict_validation_catches_an_unknown_field(kubernetes_validate: str, docs: list[dict[str, Any]]) -> None:
    broken = copy.deepcopy(_by_kind(docs, "Deployment")["helixflow-router"])
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"grpc": {"port": 50051}}
    assert _validate_strict(kubernetes_validate, [broken]).returncode != 0


def test_every_object_lives_in_the_helixflow_namespace(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "helixflow", doc["metadata"]


def test_pods_run_non_root_with_limits(docs: list[dict[str, Any]]) -> None:
    for name, pod in _pod_specs(docs):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)


def test_tls_secrets_are_mounted_as_whole_folders(docs: list[dict[str, Any]]) -> None:
    """subPath mounts never see a renewed Secret; the services reload from these folders."""
    certificates = {d["spec"]["secretName"] for d in docs if d["kind"] == "Certificate"}
    deployments = _by_kind(docs, "Deployment")
    for name, secret in (("helixflow-router", "helixflow-router-tls"), ("helixflow-worker", "helixflow-worker-tls")):
        assert secret in certificates
        pod = deployments[name]["spec"]["template"]["spec"]
        volume = next(v["name"] for v in pod["volumes"] if v.get("secret", {}).get("secretName") == secret)
        mounts = [m for c in pod["containers"] for m in c["volumeMounts"] if m["name"] == volume]
        assert mounts, name
        assert all("subPath" not in m for m in mounts), name


def test_router_scales_on_cpu_and_inflight_requests(docs: list[dict[str, Any]]) -> None:
    # The HPA owns the replica count: a `replicas` in the Deployment would reset it on each apply.
    assert "replicas" not in _by_kind(docs, "Deployment")["helixflow-router"]["spec"]
    hpa = _by_kind(docs, "HorizontalPodAutoscaler")["helixflow-router"]["spec"]
    assert hpa["minReplicas"] >= 2
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "helixflow-router"}
    metrics = {m["type"]: m for m in hpa["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    assert metrics["Pods"]["pods"]["metric"]["name"] == "helixflow_router_inflight_requests"


def test_selectors_match_pods(docs: list[dict[str, Any]]) -> None:
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in docs if d["kind"] in WORKLOADS]

    def matches(selector: dict[str, str]) -> bool:
        return any(selector.items() <= labels.items() for labels in pod_labels)

    for doc in docs:
        if doc["kind"] == "Service":
            assert matches(doc["spec"]["selector"]), doc["metadata"]["name"]
        if doc["kind"] in ("PodDisruptionBudget", "ServiceMonitor"):
            assert matches(doc["spec"]["selector"]["matchLabels"]), doc["metadata"]["name"]
        if doc["kind"] == "NetworkPolicy" and doc["spec"]["podSelector"]:
            assert matches(doc["spec"]["podSelector"]["matchLabels"]), doc["metadata"]["name"]
    assert _by_kind(docs, "Service")["helixflow-worker"]["spec"]["clusterIP"] == "None"


def test_only_the_router_reaches_workers_on_grpc(docs: list[dict[str, Any]]) -> None:
    policies = _by_kind(docs, "NetworkPolicy")
    assert policies["helixflow-default-deny-ingress"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    for rule in policies["helixflow-worker"]["spec"]["ingress"]:
        ports = {p["port"] for p in rule["ports"]}
        if 50061 in ports:
            assert rule["from"] == [
                {
                    "podSelector": {
                        "matchLabels": {"app.kubernetes.io/name": "helixflow", "app.kubernetes.io/component": "router"}
                    }
                }
            ]
        else:
            assert all("podSelector" not in peer for peer in rule["from"])


def test_gpu_settings_only_in_the_gpu_overlay(overlay: str, docs: list[dict[str, Any]]) -> None:
    pod = _by_kind(docs, "Deployment")["helixflow-worker"]["spec"]["template"]["spec"]
    limits = pod["containers"][0]["resources"]["limits"]
    if overlay == "gpu":
        assert limits["nvidia.com/gpu"] == "1"
        # The GPU request schedules onto GPU nodes; a feature-discovery node selector is an
        # optional component (components/gpu-node-selector), not a requirement.
        assert "nodeSelector" not in pod
        assert any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])
    else:
        assert "nvidia.com/gpu" not in limits
        assert "nodeSelector" not in pod
        assert "tolerations" not in pod


def test_router_reads_redis_url_from_one_secret(docs: list[dict[str, Any]]) -> None:
    """The in-cluster Redis component provides Secret helixflow-redis; without the
    component an operator creates that Secret pointing at an external Redis."""
    router = _by_kind(docs, "Deployment")["helixflow-router"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in router["env"]}
    assert env["HELIXFLOW_ROUTER_ACCESS__REDIS_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "helixflow-redis",
        "key": "url",
    }
    assert "helixflow-redis" in _by_kind(docs, "Secret")
    assert "helixflow-redis" in _by_kind(docs, "StatefulSet")


def _readme_overlays(kubectl: str, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every `# k8s/overlays/NAME/kustomization.yaml` example in k8s/README.md, rendered."""
    readme = (ROOT / "k8s" / "README.md").read_text()
    blocks = re.findall(r"```yaml\n# (k8s/overlays/[\w-]+)/kustomization.yaml.*?\n(.*?)```", readme, re.S)
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    rendered = {}
    for folder, text in blocks:
        overlay = tmp_path / folder
        overlay.mkdir()
        (overlay / "kustomization.yaml").write_text(text)
        result = subprocess.run(
            [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False, timeout=60
        )
        assert result.returncode == 0, (folder, result.stderr)
        rendered[Path(folder).name] = [d for d in yaml.safe_load_all(result.stdout) if d]
    return rendered


def test_documented_external_redis_overlay_renders(kubectl: str, tmp_path: Path) -> None:
    """k8s/README.md's overlay without the Redis component: no Redis, same Secret reference."""
    overlays = _readme_overlays(kubectl, tmp_path)
    assert "cpu-external-redis" in overlays, "k8s/README.md lost its external-Redis example"
    objects = overlays["cpu-external-redis"]
    names = {(d["kind"], d["metadata"]["name"]) for d in objects}
    assert ("Deployment", "helixflow-worker") in names
    assert not any("redis" in name for _, name in names)
    router = _by_kind(objects, "Deployment")["helixflow-router"]["spec"]["template"]["spec"]["containers"][0]
    assert any(e["name"] == "HELIXFLOW_ROUTER_ACCESS__REDIS_URL" for e in router["env"])
    assert "helixflow-key-bootstrap" in _by_kind(objects, "Job")  # the first admin key still arrives


def test_documented_prefilled_volume_overlay_renders(kubectl: str, tmp_path: Path) -> None:
    """k8s/README.md's alternative to the download Job: the claim binds to a volume you filled."""
    objects = _readme_overlays(kubectl, tmp_path)["gpu-prefilled"]
    assert "helixflow-model-download" not in _by_kind(objects, "Job")
    claim = _by_kind(objects, "PersistentVolumeClaim")["helixflow-model-cache"]["spec"]
    assert claim["volumeName"] == "helixflow-models-prefilled"
    assert claim["storageClassName"] == ""  # no dynamic provisioning
    worker = _by_kind(objects, "Deployment")["helixflow-worker"]["spec"]["template"]["spec"]
    assert worker["initContainers"][0]["name"] == "model"  # still waits for the complete snapshot


def test_prometheus_adapter_serves_the_hpa_metric(docs: list[dict[str, Any]]) -> None:
    values = yaml.safe_load((ROOT / "k8s" / "monitoring" / "prometheus-adapter-values.yaml").read_text())
    served = {rule["name"]["as"] for rule in values["rules"]["custom"]}
    hpa = _by_kind(docs, "HorizontalPodAutoscaler")["helixflow-router"]["spec"]
    wanted = {m["pods"]["metric"]["name"] for m in hpa["metrics"] if m["type"] == "Pods"}
    assert wanted <= served
