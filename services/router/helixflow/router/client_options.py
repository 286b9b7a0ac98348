"""How the client commands (``chat``, ``models``, ``keys``) reach a router.

Plaintext to a loopback router by default. A router whose listener serves TLS
demands a client certificate, so ``--ca``, ``--cert`` and ``--key`` (or
HELIXFLOW_CLIENT_CA / _CERT / _KEY) go together. ``--token`` (HELIXFLOW_API_KEY)
is sent as ``authorization: Bearer``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import grpc
import typer

from helixflow.common.grpc_server import CHANNEL_OPTIONS
from helixflow.common.tls import TlsFiles, channel_credentials

Target = Annotated[str, typer.Option("--router", envvar="HELIXFLOW_ROUTER_ADDRESS", help="router host:port")]
Token = Annotated[str, typer.Option("--token", envvar="HELIXFLOW_API_KEY", help="API key or JWT")]
CaFile = Annotated[
    Path | None, typer.Option("--ca", envvar="HELIXFLOW_CLIENT_CA", help="CA of a TLS router (with --cert, --key)")
]
CertFile = Annotated[Path | None, typer.Option("--cert", envvar="HELIXFLOW_CLIENT_CERT", help="client certificate")]
KeyFile = Annotated[Path | None, typer.Option("--key", envvar="HELIXFLOW_CLIENT_KEY", help="client private key")]


@dataclass(frozen=True)
class Connection:
    target: str
    token: str = ""
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    @classmethod
    def from_env(cls, target: str, token: str) -> Connection:
        """For commands without TLS flags: the certificate files from the environment."""

        def path(name: str) -> Path | None:
            value = os.environ.get(name)
            return Path(value) if value else None

        ca, cert, key = path("HELIXFLOW_CLIENT_CA"), path("HELIXFLOW_CLIENT_CERT"), path("HELIXFLOW_CLIENT_KEY")
        return cls(target, token, ca, cert, key)

    def _credentials(self) -> grpc.ChannelCredentials | None:
        if self.ca is None and self.cert is None and self.key is None:
            return None
        if self.ca is None or self.cert is None or self.key is None:
            raise typer.BadParameter("--ca, --cert and --key go together: a TLS router requires a client certificate")
        return channel_credentials(TlsFiles(ca_file=self.ca, cert_file=self.cert, key_file=self.key))

    def aio_channel(self) -> grpc.aio.Channel:
        credentials = self._credentials()
        if credentials is None:
            return grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)
        return grpc.aio.secure_channel(self.target, credentials, options=CHANNEL_OPTIONS)

    def channel(self) -> grpc.Channel:
        credentials = self._credentials()
        if credentials is None:
            return grpc.insecure_channel(self.target, options=CHANNEL_OPTIONS)
        return grpc.secure_channel(self.target, credentials, options=CHANNEL_OPTIONS)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()
