"""The manifests agree with the services: every HELIXFLOW_* variable they set is
a field of that service's settings class, the settings those variables produce
serve on the container ports the manifests declare, and the probes ask the
right ports and grpc.health.v1 service names."""

from __future__ import annotations

import importlib
import os
import re
import types
import typing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import BaseModel
from pydantic_settings import BaseSettings

from tests.k8s.conftest import container_env

ROOT = Path(__file__).resolve().parents[2]


class Service(typing.NamedTuple):
    settings: str  # "module:Class"
    prefix: str
    ready_service: str | None  # grpc.health.v1 service name for readiness; None for HTTP services
    dockerfiles: tuple[str, ...]


SERVICES: dict[str, Service] = {
    "worker": Service(
        "helixflow.worker.config:WorkerSettings",
        "HELIXFLOW_WORKER_",
        "helixflow.v1.Worker",
        ("worker-cpu.Dockerfile", "worker-gpu.Dockerfile"),
    ),
    "router": Service(
        "helixflow.router.config:RouterSettings", "HELIXFLOW_ROUTER_", "helixflow.v1.Inference", ("router.Dockerfile",)
    ),
    "bridge": Service("helixflow.rest_bridge.config:BridgeSettings", "HELIXFLOW_BRIDGE_", None, ("bridge.Dockerfile",)),
}


def _settings_class(component: str) -> type[BaseSettings]:
    module, _, name = SERVICES[component].settings.partition(":")
    cls: object = getattr(importlib.import_module(module), name)
    assert isinstance(cls, type)
    assert issubclass(cls, BaseSettings)
    return cls


def _port(address: str) -> int:
    """Port of "host:port", "[v6]:port" or a URL."""
    parsed = urlsplit(address if "://" in address else f"//{address}")
    assert parsed.port is not None, address
    return parsed.port


def _served_ports(component: str, settings: Any) -> dict[str, int]:
    """Container port name -> the port this service listens on with these settings."""
    if component == "bridge":
        return {"http": int(settings.port)}  # /metrics is served on the HTTP port
    ports = {"grpc": _port(settings.listen), "metrics": int(settings.metrics_port)}
    if getattr(settings, "health_listen", ""):
        ports["health"] = _port(settings.health_listen)  # plaintext health-only listener for probes
    return ports


def _container(docs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    for doc in docs:
        if doc["kind"] == "Deployment" and doc["metadata"]["labels"]["app.kubernetes.io/component"] == component:
            containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
            assert len(containers) == 1, component
            return containers[0]
    raise AssertionError(f"no Deployment for {component}")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `TlsSettings` or `TlsSettings | None`."""
    candidates = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _knows(model: type[BaseModel], parts: list[str]) -> bool:
    """Whether env name parts (split on the nested delimiter "__") name a field."""
    fields = {name.lower(): info for name, info in model.model_fields.items()}
    head, rest = parts[0].lower(), parts[1:]
    if head not in fields:
        return False
    if not rest:
        return True
    nested = _model_of(fields[head].annotation)
    return nested is not None and _knows(nested, rest)


def _dockerfile_env(path: Path) -> dict[str, str]:
    """Names and values from the ENV instructions of the final stage."""
    text = re.sub(r"\\\n", " ", path.read_text())
    final_stage = text.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    for line in final_stage.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", line)))
    return env


@pytest.fixture(params=sorted(SERVICES))
def component(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_every_env_var_is_a_settings_field(component: str, docs: list[dict[str, Any]]) -> None:
    service = SERVICES[component]
    cls = _settings_class(component)
    assert cls.model_config.get("env_prefix") == service.prefix
    assert cls.model_config.get("env_nested_delimiter") == "__"
    names = [e["name"] for e in _container(docs, component).get("env", [])]
    for dockerfile in service.dockerfiles:
        names += list(_dockerfile_env(ROOT / "k8s" / "docker" / dockerfile))
    ours = [n for n in names if n.startswith("HELIXFLOW_")]
    assert ours, component
    for name in ours:
        assert name.startswith(service.prefix), f"{component} sets {name}, another service's variable"
        assert _knows(cls, name.removeprefix(service.prefix).split("__")), f"{cls.__name__} has no field for {name}"


def test_ports_and_probes_match_the_settings(
    component: str, docs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    container = _container(docs, component)
    for name in list(os.environ):
        if name.startswith("HELIXFLOW_"):
            monkeypatch.delenv(name)
    for name, value in container_env(container, "helixflow").items():
        monkeypatch.setenv(name, value)
    settings = _settings_class(component)()  # the values parse, and these are what the service will use
    served = _served_ports(component, settings)
    declared = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert declared == served

    main = "http" if SERVICES[component].ready_service is None else "grpc"
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = container.get(kind)
        if probe is None:
            assert kind == "startupProbe", f"{component} has no {kind}"
            continue
        if main == "grpc":
            # Probes go to the plaintext health listener when there is one (kubelet has no client cert).
            assert probe["grpc"]["port"] == served.get("health", served["grpc"]), (component, kind)
            # Readiness asks the ready service, liveness "" (live). A worker's startup probe asks
            # the ready service too (it passes once the model has loaded); the router's asks ""
            # (its readiness needs a worker, which may take minutes to load).
            ready = SERVICES[component].ready_service
            waits_for_ready = kind == "readinessProbe" or (kind == "startupProbe" and component == "worker")
            expected = ready if waits_for_ready else ""
            assert probe["grpc"].get("service", "") == expected, (component, kind)
        else:
            assert probe["httpGet"]["port"] == served["http"], (component, kind)


def test_readiness_service_names_exist_in_the_contract() -> None:
    from helixflow.v1 import inference_pb2, worker_pb2

    full_names = {s.full_name for m in (inference_pb2, worker_pb2) for s in m.DESCRIPTOR.services_by_name.values()}
    for service in SERVICES.values():
        if service.ready_service is not None:
            assert service.ready_service in full_names


def test_services_target_declared_container_ports(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        if doc["kind"] != "Service":
            continue
        component = doc["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in SERVICES:
            continue
        declared = {p["name"] for p in _container(docs, component)["ports"]}
        for port in doc["spec"]["ports"]:
            assert port["targetPort"] in declared, (doc["metadata"]["name"], port)


def test_bridge_serves_the_probed_and_scraped_paths(docs: list[dict[str, Any]]) -> None:
    from fastapi.routing import APIRoute

    from helixflow.rest_bridge.app import create_app
    from helixflow.rest_bridge.config import BridgeSettings

    app = create_app(BridgeSettings())
    paths = {route.path for route in app.routes if isinstance(route, APIRoute) and "GET" in (route.methods or set())}
    container = _container(docs, "bridge")
    probed = {container[kind]["httpGet"]["path"] for kind in ("livenessProbe", "readinessProbe")}
    scraped = {
        e["path"]
        for d in docs
        if d["kind"] == "ServiceMonitor" and d["metadata"]["name"] == "helixflow-bridge"
        for e in d["spec"]["endpoints"]
    }
    assert probed | scraped <= paths
