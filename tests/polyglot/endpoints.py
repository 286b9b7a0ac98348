"""Where the polyglot clients find the live Inference server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Endpoint:
    """host:port of an Inference server; with ca_file the client uses TLS and trusts that CA."""

    target: str
    ca_file: Path | None = None


@dataclass(frozen=True)
class InferenceServer:
    plaintext: Endpoint
    tls: Endpoint
