"""How the router dials its workers: mTLS credentials from files, the TLS name
to verify, and noticing when cert-manager rotates the client certificate.

Workers found through DNS are dialled by pod IP while their certificate names
the Service, so the name to verify is set explicitly (``server_name``).
"""

from __future__ import annotations

import grpc

from helixflow.common.grpc_server import CHANNEL_OPTIONS
from helixflow.common.tls import TlsFiles, channel_credentials

# Short reconnect backoff: gRPC's default (1 s doubling to 120 s) would keep a
# restarted worker out of rotation far longer than 2 s.
_RECONNECT_OPTIONS: list[tuple[str, int]] = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]


class ChannelFactory:
    """Opens worker channels with the credentials the files hold now.

    ``reload_if_changed`` re-reads the files when any mtime moved; channels
    opened after that present the new client certificate."""

    def __init__(self, files: TlsFiles | None, server_name: str | None = None) -> None:
        self._files = files
        self._server_name = server_name
        self._stamp: tuple[int, ...] = ()
        self._credentials: grpc.ChannelCredentials | None = None
        self.generation = 0  # bumped on each reload, for callers and tests
        self.reload_if_changed()

    def _mtimes(self) -> tuple[int, ...]:
        assert self._files is not None
        paths = (self._files.ca_file, self._files.cert_file, self._files.key_file)
        return tuple(p.stat().st_mtime_ns for p in paths)

    def reload_if_changed(self) -> bool:
        """Re-read the TLS files if they changed on disk; True when they did."""
        if self._files is None:
            return False
        try:
            stamp = self._mtimes()
        except OSError:
            return False  # mid-rotation (files swapped); try again next time
        if stamp == self._stamp:
            return False
        self._credentials = channel_credentials(self._files)
        self._stamp = stamp
        self.generation += 1
        return self.generation > 1

    def open(self, address: str) -> grpc.aio.Channel:
        options: list[tuple[str, int | str]] = [*CHANNEL_OPTIONS, *_RECONNECT_OPTIONS]
        if self._credentials is None:
            return grpc.aio.insecure_channel(address, options=options)
        if self._server_name:
            options.append(("grpc.ssl_target_name_override", self._server_name))
        return grpc.aio.secure_channel(address, self._credentials, options=options)
