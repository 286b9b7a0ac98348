"""Development certificates: a CA plus router (client) and worker (server) certificates.

For production use cert-manager (see k8s/). These are real X.509 certificates
made with ``cryptography``; only their lifetime and storage are dev-grade.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from helixflow.common.tls import TlsFiles

DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
_VALIDITY = dt.timedelta(days=365)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HelixFlow dev"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _san(names: Iterable[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def create_ca(
    out_dir: Path, common_name: str = "HelixFlow dev CA"
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Create ca.pem and ca-key.pem in out_dir."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_cert(out_dir / "ca.pem", cert)
    _write_key(out_dir / "ca-key.pem", key)
    return cert, key


def issue(
    out_dir: Path,
    stem: str,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    names: Iterable[str] = DEFAULT_NAMES,
) -> TlsFiles:
    """Issue ``{stem}.pem``/``{stem}-key.pem`` signed by ca, valid as TLS server and client."""
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(stem))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .add_extension(_san(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_cert(out_dir / f"{stem}.pem", cert)
    _write_key(out_dir / f"{stem}-key.pem", key)
    return TlsFiles(ca_file=out_dir / "ca.pem", cert_file=out_dir / f"{stem}.pem", key_file=out_dir / f"{stem}-key.pem")


def init_dev_pki(out_dir: Path, extra_names: Iterable[str] = ()) -> dict[str, TlsFiles]:
    """Create a CA and the router and worker certificates. Returns their TlsFiles by role."""
    ca = create_ca(out_dir)
    names = (*DEFAULT_NAMES, *extra_names)
    return {role: issue(out_dir, role, ca, names) for role in ("router", "worker")}
