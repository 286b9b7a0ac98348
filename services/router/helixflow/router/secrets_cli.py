"""``helixflow secrets set|list|delete|rotate|keygen``: upstream provider secrets
stored by the router, encrypted at rest (see ``helixflow.common.secrets``).

A value never goes on the command line (it would land in shell history and
``ps``): ``set`` reads it from ``--value-file``, or stdin, or a hidden prompt.
Every command except ``keygen`` calls the router's Admin service with an admin
credential (``--token`` / HELIXFLOW_API_KEY).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from google.protobuf import timestamp_pb2
from rich.console import Console
from rich.table import Table

from helixflow.common.secrets import KEYRING_ENV, generate_key
from helixflow.router.client_options import Target, Token
from helixflow.router.keys_cli import _auth, _stub
from helixflow.v1 import admin_pb2

app = typer.Typer(no_args_is_help=True, help="Upstream provider secrets: set, list, delete, rotate (admin scope).")
console = Console()


def _when(ts: timestamp_pb2.Timestamp) -> str:
    return ts.ToDatetime(dt.UTC).isoformat(timespec="seconds")


def _show(secrets: list[admin_pb2.UpstreamSecret]) -> None:
    table = Table("name", "key id", "created", "updated")
    for s in secrets:
        table.add_row(s.name, s.key_id, _when(s.create_time), _when(s.update_time))
    console.print(table)


def _read_value(value_file: Path | None) -> str:
    if value_file is not None:
        return value_file.read_text().strip()
    if sys.stdin.isatty():
        return str(typer.prompt("secret value", hide_input=True)).strip()
    return sys.stdin.read().strip()


@app.command("set")
def set_secret(
    name: Annotated[str, typer.Argument(help="the name upstream workers use (upstream.api_key_secret)")],
    value_file: Annotated[Path | None, typer.Option(help="read the value from this file (else stdin)")] = None,
    router: Target = "127.0.0.1:50051",
    token: Token = "",
) -> None:
    """Store or replace a secret (its value is never shown again)."""
    value = _read_value(value_file)
    request = admin_pb2.SetUpstreamSecretRequest(name=name, value=value)
    _show([_stub(router).SetUpstreamSecret(request, metadata=_auth(token)).secret])


@app.command("list")
def list_secrets(router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """List stored secrets: names, key ids, times; never values."""
    response = _stub(router).ListUpstreamSecrets(admin_pb2.ListUpstreamSecretsRequest(), metadata=_auth(token))
    _show(list(response.secrets))


@app.command("delete")
def delete(name: str, router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """Remove a stored secret."""
    request = admin_pb2.DeleteUpstreamSecretRequest(name=name)
    deleted = _stub(router).DeleteUpstreamSecret(request, metadata=_auth(token)).deleted
    console.print(f"{name}: {'deleted' if deleted else 'no such secret'}")


@app.command("rotate")
def rotate(router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """Re-encrypt every secret under the keyring's first key (after adding a new one)."""
    r = _stub(router).RotateUpstreamSecrets(admin_pb2.RotateUpstreamSecretsRequest(), metadata=_auth(token))
    console.print(f"under key {r.key_id}: {r.rotated} re-encrypted, {r.current} already current")


@app.command("keygen")
def keygen(key_id: Annotated[str, typer.Argument(help="an id for the new key, e.g. k2")]) -> None:
    """Print a new keyring entry (``id:base64``) to put first in the keyring variable."""
    typer.echo(f"{key_id}:{generate_key()}")
    typer.echo(
        f"# put it first in {KEYRING_ENV} on the router and workers, then run `helixflow secrets rotate`", err=True
    )
