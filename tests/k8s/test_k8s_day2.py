"""Day-2 rules on the rendered overlays: certificates that renew without breaking
handshakes, a persistent key store and its bootstrap, traffic that spreads, shutdowns that
cut no stream, an edge with TLS and the bridge's body limit, monitoring labels, and model
weights that arrive. Each test names the failure it guards against."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.k8s.conftest import container_env

MARGIN_S = 10  # at least this much grace beyond preStop + drain
HEX40 = re.compile(r"[0-9a-f]{40}")


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _pod(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = _by_kind(docs, kind)[name]["spec"]["template"]["spec"]
    return spec


def _env(docs: list[dict[str, Any]], name: str, container: str | None = None) -> dict[str, str]:
    pod = _pod(docs, "Deployment", name)
    chosen = pod["containers"][0] if container is None else next(c for c in pod["containers"] if c["name"] == container)
    return container_env(chosen, _by_kind(docs, "Deployment")[name]["metadata"]["namespace"])


def _settings(overlay: str) -> dict[str, str]:
    """The overlay's helixflow-settings literals (a local-config ConfigMap: not rendered)."""
    import yaml

    from tests.k8s.conftest import ROOT

    kustomization = yaml.safe_load((ROOT / "k8s" / "overlays" / overlay / "kustomization.yaml").read_text())
    generator = next(g for g in kustomization["configMapGenerator"] if g["name"] == "helixflow-settings")
    return dict(literal.split("=", 1) for literal in generator["literals"])


# -- certificates -------------------------------------------------------------------------


def test_ca_key_never_rotates_and_leaf_keys_do(docs: list[dict[str, Any]]) -> None:
    """cert-manager >= 1.18 rotates keys by default: a CA key that changes at renewal makes
    the ca.crt in every Secret disagree until every leaf has renewed."""
    certificates = _by_kind(docs, "Certificate")
    for cert in certificates.values():
        policy = cert["spec"].get("privateKey", {}).get("rotationPolicy")
        if cert["spec"].get("isCA"):
            assert policy == "Never", cert["metadata"]["name"]
        elif cert["spec"]["issuerRef"]["name"] == "helixflow-ca":
            assert policy == "Always", cert["metadata"]["name"]
    assert any(c["spec"].get("isCA") for c in certificates.values())


def test_router_verifies_a_name_the_worker_certificate_carries(
    docs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker certificate named helixflow.svc.cluster.local: any other namespace or
    domain broke every router-worker handshake."""
    from helixflow.router.config import RouterSettings

    for name, value in _env(docs, "helixflow-router").items():
        monkeypatch.setenv(name, value)
    settings = RouterSettings()
    worker_cert = next(
        c for c in _by_kind(docs, "Certificate").values() if c["spec"]["secretName"] == "helixflow-worker-tls"
    )
    assert settings.worker_tls_name() in worker_cert["spec"]["dnsNames"]


# -- keys ---------------------------------------------------------------------------------


def test_key_store_is_persistent(docs: list[dict[str, Any]]) -> None:
    """Keys live in Redis: an eviction of a Redis without persistence deleted every key."""
    redis = _by_kind(docs, "StatefulSet")["helixflow-redis"]
    assert "helixflow-redis" not in _by_kind(docs, "Deployment")
    args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
    options = dict(zip(args[::2], args[1::2], strict=True))
    assert options["--appendonly"] == "yes"
    assert options["--maxmemory-policy"].startswith("volatile-")  # never evicts keys (they have no TTL)
    claims = {t["metadata"]["name"]: t for t in redis["spec"]["volumeClaimTemplates"]}
    mount = next(m for m in redis["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] if m["name"] in claims)
    assert mount["mountPath"] == options["--dir"]
    assert not any(v["name"] == mount["name"] for v in redis["spec"]["template"]["spec"].get("volumes", []))
    assert redis["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    pdb = _by_kind(docs, "PodDisruptionBudget")["helixflow-redis"]["spec"]
    assert pdb["selector"]["matchLabels"].items() <= redis["spec"]["template"]["metadata"]["labels"].items()
    assert pdb.get("minAvailable") == 1 or pdb.get("maxUnavailable") == 0
    url = base64.b64decode(_by_kind(docs, "Secret")["helixflow-redis"]["data"]["url"]).decode()
    service = _by_kind(docs, "Service")[redis["spec"]["serviceName"]]
    assert urlsplit(url).hostname == service["metadata"]["name"]
    assert service["spec"]["selector"].items() <= redis["spec"]["template"]["metadata"]["labels"].items()


def test_first_admin_key_is_bootstrapped_from_a_secret(docs: list[dict[str, Any]]) -> None:
    from typer.main import get_command

    from helixflow.cli.main import app

    job = _by_kind(docs, "Job")["helixflow-key-bootstrap"]
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = container["args"]
    assert args[:2] == ["keys", "create"]
    assert "--direct" in args
    assert args[args.index("--permission") + 1] == "admin"
    # The CLI really has these options (a renamed flag would fail the Job on a cluster).
    create: Any = get_command(app)
    options = {o for p in create.commands["keys"].commands["create"].params for o in p.opts}
    assert {"--permission", "--direct", "--secret-file"} <= options
    secret_path = args[args.index("--secret-file") + 1]
    secret_volumes = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    mount = next(m for m in container["volumeMounts"] if secret_path.startswith(m["mountPath"] + "/"))
    assert secret_volumes[mount["name"]] == "helixflow-admin-key"
    # Same key store as the router, and the Redis NetworkPolicy lets the Job in.
    env = {e["name"]: e for e in container["env"]}
    router_env = {e["name"]: e for e in _pod(docs, "Deployment", "helixflow-router")["containers"][0]["env"]}
    key = "HELIXFLOW_ROUTER_ACCESS__REDIS_URL"
    assert env[key]["valueFrom"] == router_env[key]["valueFrom"]
    peers = [
        peer["podSelector"]["matchLabels"]
        for rule in _by_kind(docs, "NetworkPolicy")["helixflow-redis"]["spec"]["ingress"]
        for peer in rule["from"]
    ]
    assert any(p.items() <= job["spec"]["template"]["metadata"]["labels"].items() for p in peers)


# -- traffic ------------------------------------------------------------------------------


def test_bridge_balances_over_router_pods(docs: list[dict[str, Any]]) -> None:
    """One channel to a ClusterIP pins each bridge to one router pod."""
    env = _env(docs, "helixflow-bridge")
    match = re.fullmatch(r"dns:///([\w-]+)\.([\w-]+)\.svc\.([\w.-]+):(\d+)", env["HELIXFLOW_BRIDGE_ROUTER_ADDRESS"])
    assert match, env["HELIXFLOW_BRIDGE_ROUTER_ADDRESS"]
    service = _by_kind(docs, "Service")[match[1]]
    assert match[2] == service["metadata"]["namespace"]
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == _by_kind(docs, "Service")["helixflow-router"]["spec"]["selector"]
    assert int(match[4]) in {p["port"] for p in service["spec"]["ports"]}
    assert env["HELIXFLOW_BRIDGE_ROUTER_LB_POLICY"] == "round_robin"
    # New router pods (HPA) get traffic: connections age out, and the channel re-resolves.
    router = _env(docs, "helixflow-router")
    assert float(router["HELIXFLOW_ROUTER_MAX_CONNECTION_AGE_S"]) > 0


def test_workers_scale_on_queue_depth_and_hpa_targets_have_no_replicas(docs: list[dict[str, Any]]) -> None:
    import yaml

    from tests.k8s.conftest import ROOT

    hpas = _by_kind(docs, "HorizontalPodAutoscaler")
    worker = hpas["helixflow-worker"]["spec"]
    assert worker["scaleTargetRef"]["name"] == "helixflow-worker"
    wanted = {m["pods"]["metric"]["name"] for m in worker["metrics"] if m["type"] == "Pods"}
    assert wanted == {"helixflow_worker_requests_waiting"}
    from helixflow.worker.engine import LoadReport
    from helixflow.worker.metrics import WorkerMetrics

    exported = {m.name for m in WorkerMetrics("m", lambda: LoadReport(0, 0, 1, 0.0, 0.0)).registry.collect()}
    assert wanted <= exported
    values = yaml.safe_load((ROOT / "k8s" / "monitoring" / "prometheus-adapter-values.yaml").read_text())
    assert wanted <= {rule["name"]["as"] for rule in values["rules"]["custom"]}
    assert any(m["type"] == "Resource" for m in hpas["helixflow-router"]["spec"]["metrics"])  # router: CPU
    deployments = _by_kind(docs, "Deployment")
    for hpa in hpas.values():
        assert "replicas" not in deployments[hpa["spec"]["scaleTargetRef"]["name"]]["spec"]


# -- shutdown -----------------------------------------------------------------------------


def _pre_stop_s(container: dict[str, Any]) -> int:
    pre_stop = container.get("lifecycle", {}).get("preStop")
    if pre_stop is None:
        return 0
    return int(pre_stop["sleep"]["seconds"])


def test_grace_covers_pre_stop_plus_drain(docs: list[dict[str, Any]]) -> None:
    """A 30 s drain in a 45 s grace cut 600 s streams; no preStop left endpoints on a
    pod that had stopped listening."""
    router = _env(docs, "helixflow-router")
    longest = float(router["HELIXFLOW_ROUTER_MAX_REQUEST_S"])
    drains = {
        "helixflow-router": float(router["HELIXFLOW_ROUTER_DRAIN_GRACE_S"]),
        # uvicorn waits for open requests, which last at most the bridge's deadline.
        "helixflow-bridge": float(_env(docs, "helixflow-bridge")["HELIXFLOW_BRIDGE_REQUEST_TIMEOUT_S"]),
        "helixflow-worker": float(_env(docs, "helixflow-worker")["HELIXFLOW_WORKER_DRAIN_GRACE_S"]),
    }
    for name, drain in drains.items():
        pod = _pod(docs, "Deployment", name)
        pre_stop = _pre_stop_s(pod["containers"][0])
        assert drain >= longest, (name, drain, longest)
        assert pod["terminationGracePeriodSeconds"] >= pre_stop + drain + MARGIN_S, name
        if name != "helixflow-worker":  # the router stops routing to a draining worker itself
            assert pre_stop >= 5, name


def test_rollouts_wait_longer_than_the_startup_probe(docs: list[dict[str, Any]]) -> None:
    """The default 600 s progress deadline was shorter than a 15-minute model load."""
    for name, deployment in _by_kind(docs, "Deployment").items():
        probe = deployment["spec"]["template"]["spec"]["containers"][0].get("startupProbe")
        if probe is None:
            continue
        budget = probe.get("initialDelaySeconds", 0) + probe["periodSeconds"] * probe["failureThreshold"]
        assert deployment["spec"].get("progressDeadlineSeconds", 600) >= budget + 300, name


# -- edge ---------------------------------------------------------------------------------


def _nginx_bytes(size: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", size)
    assert match, size
    return int(match[1]) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match[2].lower()]


def test_ingress_has_tls_and_the_bridge_limits(docs: list[dict[str, Any]]) -> None:
    from helixflow.rest_bridge.config import BridgeSettings

    bridge_env = _env(docs, "helixflow-bridge")
    limit = int(bridge_env.get("HELIXFLOW_BRIDGE_MAX_BODY_BYTES", BridgeSettings().max_body_bytes))
    timeout = float(bridge_env["HELIXFLOW_BRIDGE_REQUEST_TIMEOUT_S"])
    certificates = {c["spec"]["secretName"]: c for c in _by_kind(docs, "Certificate").values()}
    ingresses = _by_kind(docs, "Ingress")
    assert ingresses
    for ingress in ingresses.values():
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        tls = ingress["spec"]["tls"]
        assert hosts <= {h for entry in tls for h in entry["hosts"]}
        for entry in tls:
            assert set(entry["hosts"]) <= set(certificates[entry["secretName"]]["spec"]["dnsNames"])
        notes = ingress["metadata"]["annotations"]
        assert _nginx_bytes(notes["nginx.ingress.kubernetes.io/proxy-body-size"]) == limit
        assert float(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= timeout
        assert notes["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"


# -- monitoring ---------------------------------------------------------------------------


def test_service_monitors_carry_the_release_label(overlay: str, docs: list[dict[str, Any]]) -> None:
    """kube-prometheus-stack selects ServiceMonitors by `release`; without it nothing is
    scraped and the HPAs' custom metrics are missing."""
    monitors = _by_kind(docs, "ServiceMonitor")
    assert monitors
    for monitor in monitors.values():
        assert monitor["metadata"]["labels"]["release"] == _settings(overlay)["prometheusRelease"]


# -- weights ------------------------------------------------------------------------------


def test_gpu_workers_read_a_read_write_many_cache(overlay: str, docs: list[dict[str, Any]]) -> None:
    """A ReadOnlyMany claim without a class stayed Pending on block storage, and nothing filled it."""
    claims = _by_kind(docs, "PersistentVolumeClaim")
    assert all("ReadOnlyMany" not in c["spec"]["accessModes"] for c in claims.values())
    if overlay != "gpu":
        assert not claims
        return
    settings = _settings(overlay)
    pod = _pod(docs, "Deployment", "helixflow-worker")
    claim_of = {
        v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v
    }
    assert len(set(claim_of.values())) == 1
    claim = claims[next(iter(claim_of.values()))]["spec"]
    assert claim["accessModes"] == ["ReadWriteMany"]
    assert claim["storageClassName"] == settings["modelStorageClass"]
    # The Job fills that claim at the pinned revision, with the token from a Secret.
    job = _pod(docs, "Job", "helixflow-model-download")
    job_env = {e["name"]: e for e in job["containers"][0]["env"]}
    assert job_env["HF_MODEL_REPO"]["value"] == settings["modelRepo"]
    assert HEX40.fullmatch(job_env["HF_MODEL_REVISION"]["value"])
    assert job_env["HF_MODEL_REVISION"]["value"] == settings["modelRevision"]
    assert job_env["HF_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "helixflow-hf-token"
    assert {v["persistentVolumeClaim"]["claimName"] for v in job["volumes"] if "persistentVolumeClaim" in v} == set(
        claim_of.values()
    )
    # The init container waits for the same revision and links it where the worker loads from.
    init = container_env(pod["initContainers"][0], "helixflow")
    assert (init["HF_MODEL_REPO"], init["HF_MODEL_REVISION"]) == (settings["modelRepo"], settings["modelRevision"])
    assert init["HF_HUB_CACHE"] == job_env["HF_HUB_CACHE"]["value"]
    worker = _env(docs, "helixflow-worker")
    assert worker["HELIXFLOW_WORKER_MODEL_PATH"] == init["HELIXFLOW_MODEL_LINK"]
    assert worker["HELIXFLOW_WORKER_MODEL_ID"] == settings["modelId"]
    assert worker["HF_HUB_OFFLINE"] == "1"
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert all(mounts[name]["readOnly"] for name in claim_of)


@pytest.mark.parametrize("literal", ["cluster.local", "helixflow.svc"])
def test_no_hard_coded_cluster_names_in_the_sources(literal: str) -> None:
    """The namespace and cluster domain were written into names; now only the overlays'
    settings name the domain, and pods read their namespace at run time."""
    from tests.k8s.conftest import ROOT

    offenders = []
    for path in sorted((ROOT / "k8s").rglob("*.yaml")):
        text = path.read_text()
        if path.parent.parent.name == "overlays":
            text = re.sub(r"(?m)^\s*- clusterDomain=.*$", "", text)
        if literal in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
