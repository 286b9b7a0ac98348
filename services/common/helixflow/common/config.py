"""Settings shared by the services. Each service has one pydantic-settings class
(env prefixes HELIXFLOW_WORKER_, HELIXFLOW_ROUTER_, HELIXFLOW_BRIDGE_), read once
at start-up and passed down; handlers never read os.environ."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, model_validator

from helixflow.common.tls import TlsFiles


class TlsSettings(BaseModel):
    """mTLS file paths. All three set: mutual TLS. None set: needs ``insecure``."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False

    @model_validator(mode="after")
    def _all_or_nothing(self) -> TlsSettings:
        given = [p for p in (self.ca_file, self.cert_file, self.key_file) if p is not None]
        if given and len(given) != 3:
            raise ValueError("tls: set ca_file, cert_file and key_file together")
        return self

    def require(self, what: str) -> TlsFiles | None:
        """The TLS files; None only when plaintext was asked for explicitly."""
        files = self.files()
        if files is None and not self.insecure:
            raise ValueError(f"{what}: set tls ca_file, cert_file and key_file, or insecure=true for plaintext")
        return files

    def files(self) -> TlsFiles | None:
        """The TLS files, or None when running insecure."""
        if self.ca_file is None or self.cert_file is None or self.key_file is None:
            return None
        return TlsFiles(ca_file=self.ca_file, cert_file=self.cert_file, key_file=self.key_file)
