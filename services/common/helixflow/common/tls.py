"""Mutual-TLS credentials for gRPC servers and clients.

Servers built with ``server_credentials`` serve TLS only and require a
client certificate signed by the configured CA. Certificates are read from
disk through a fetcher, so files rotated in place (cert-manager) are used for
new connections without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc
from pydantic import BaseModel


class TlsFiles(BaseModel):
    """Paths of a PEM CA bundle, certificate chain and private key."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def read(self) -> tuple[bytes, bytes, bytes]:
        """Return (ca, cert, key) bytes as they are on disk now."""
        return self.ca_file.read_bytes(), self.cert_file.read_bytes(), self.key_file.read_bytes()


class _ReloadingServerConfig:
    """Serves the files' current contents; reloads when any file's mtime changes."""

    def __init__(self, files: TlsFiles) -> None:
        self._files = files
        self._stamp: tuple[float, ...] = ()
        self._config: grpc.ServerCertificateConfiguration | None = None

    def _mtimes(self) -> tuple[float, ...]:
        return tuple(p.stat().st_mtime_ns for p in (self._files.ca_file, self._files.cert_file, self._files.key_file))

    def initial(self) -> grpc.ServerCertificateConfiguration:
        config = self.fetch()
        assert config is not None
        return config

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """gRPC calls this on each new TLS handshake; None keeps the current config."""
        try:
            stamp = self._mtimes()
        except OSError:
            return None
        if stamp == self._stamp and self._config is not None:
            return None
        ca, cert, key = self._files.read()
        self._config = grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=ca)
        self._stamp = stamp
        return self._config


def server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    """TLS server credentials that demand and verify a client certificate."""
    reloader = _ReloadingServerConfig(files)
    # gRPC accepts None from the fetcher ("keep the current config"); its type stub says otherwise.
    fetch: Callable[[], grpc.ServerCertificateConfiguration] = reloader.fetch  # type: ignore[assignment]
    return grpc.dynamic_ssl_server_credentials(reloader.initial(), fetch, require_client_authentication=True)


def channel_credentials(files: TlsFiles) -> grpc.ChannelCredentials:
    """Client credentials presenting our certificate and trusting only the CA."""
    ca, cert, key = files.read()
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
