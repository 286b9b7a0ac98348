"""Where the polyglot clients find the live Inference server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Endpoint:
    """host:port of an Inference server.

    With ca_file the client uses TLS and trusts that CA; with cert_file and
    key_file too it presents that client certificate (mutual TLS).
    """

    target: str
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def client_args(self) -> list[str]:
        """The polyglot clients' arguments: HOST:PORT [CA_PEM [CERT_PEM KEY_PEM]]."""
        files = [self.ca_file, self.cert_file, self.key_file] if self.cert_file else [self.ca_file]
        return [self.target, *(str(path) for path in files if path is not None)]


@dataclass(frozen=True)
class InferenceServer:
    plaintext: Endpoint
    tls: Endpoint
