"""``helixflow keys create|list|show|revoke``: API keys through the router's Admin service.

Every command needs an admin credential (``--token`` / HELIXFLOW_API_KEY). The
very first admin key is made with ``create --direct``, which writes straight
into the key store (Redis or the SQLite file) instead of calling a router; with
``--secret-file`` it installs a secret the operator chose (Kubernetes: a Secret, see
k8s/base/key-bootstrap.yaml) and leaves it alone when it is already there. A
router serving TLS is reached with HELIXFLOW_CLIENT_CA / _CERT / _KEY.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from google.protobuf import timestamp_pb2
from rich.console import Console
from rich.table import Table

from helixflow.router import project_cli
from helixflow.router.access.admin.convert import key_to_proto, set_present, template_from_proto
from helixflow.router.access.keys.record import KeyRecord, hash_secret
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.keys.store import KeyStore, RedisKeyStore, SqliteKeyStore
from helixflow.router.access.state import redis_client
from helixflow.router.client_options import Connection, Target, Token
from helixflow.v1 import admin_pb2, admin_pb2_grpc

app = typer.Typer(no_args_is_help=True, help="API keys: create, list, show, revoke (admin scope).")
app.add_typer(project_cli.app, name="project")
console = Console()

_PERMISSIONS = {"inference": admin_pb2.PERMISSION_INFERENCE, "admin": admin_pb2.PERMISSION_ADMIN}


def _stub(router: str) -> admin_pb2_grpc.AdminStub:
    return admin_pb2_grpc.AdminStub(Connection.from_env(router, "").channel())


def _auth(token: str) -> tuple[tuple[str, str]]:
    if not token:
        raise typer.BadParameter("an admin credential is needed: --token or HELIXFLOW_API_KEY")
    return (("authorization", f"Bearer {token}"),)


def _when(ts: timestamp_pb2.Timestamp, present: bool) -> str:
    return ts.ToDatetime(dt.UTC).isoformat(timespec="seconds") if present else "-"


def _show(keys: list[admin_pb2.ApiKey]) -> None:
    table = Table("name", "prefix", "permissions", "models", "rpm", "tpm", "streams", "expires", "revoked")
    table.add_column("key id", no_wrap=True)
    for key in keys:
        s = key.scopes
        table.add_row(
            key.name,
            key.display_prefix + "…",
            ",".join(admin_pb2.Permission.Name(p).removeprefix("PERMISSION_").lower() for p in s.permissions),
            ",".join(s.models) or "*",
            str(s.rpm) if s.HasField("rpm") else "-",
            str(s.tpm) if s.HasField("tpm") else "-",
            str(s.max_concurrent_streams) if s.HasField("max_concurrent_streams") else "-",
            _when(s.expires_at, s.HasField("expires_at")),
            _when(key.revoked_at, key.HasField("revoked_at")),
            key.key_id,
        )
    console.print(table)


async def _install(store: KeyStore, template: KeyRecord, secret: str | None) -> tuple[KeyRecord, str | None]:
    """Create the key; with a given secret, leave an existing key with that secret alone
    (returns it with None), so a bootstrap Job can run any number of times."""
    if secret is not None and (existing := await store.find_by_hash(hash_secret(secret))) is not None:
        return existing, None
    return await KeyService(store).create(template, secret)


async def _direct_create(
    redis_url: str | None, key_db: Path, template: KeyRecord, secret: str | None
) -> tuple[KeyRecord, str | None]:
    if not redis_url:
        return await _install(SqliteKeyStore(key_db), template, secret)
    client = redis_client(redis_url)
    try:
        return await _install(RedisKeyStore(client), template, secret)
    finally:
        await client.aclose()


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="a name for people to recognise the key by")],
    permission: Annotated[list[str] | None, typer.Option(help="inference and/or admin")] = None,
    model: Annotated[list[str] | None, typer.Option(help="allowed model id or glob; repeat; none = all")] = None,
    rpm: Annotated[int | None, typer.Option(help="requests per minute")] = None,
    tpm: Annotated[int | None, typer.Option(help="tokens per minute")] = None,
    streams: Annotated[int | None, typer.Option(help="concurrent Generate streams")] = None,
    expires_in_days: Annotated[float | None, typer.Option(help="expiry, in days from now")] = None,
    budget_usd: Annotated[float | None, typer.Option(help="spend budget per period, US dollars")] = None,
    budget_period: Annotated[str, typer.Option(help='"day", "month" or seconds like "3600s"')] = "month",
    project: Annotated[str, typer.Option(help="the project (prj_...) whose limits the key shares")] = "",
    router: Target = "127.0.0.1:50051",
    token: Token = "",
    direct: Annotated[bool, typer.Option(help="write to the key store directly (first admin key)")] = False,
    redis_url: Annotated[str | None, typer.Option(envvar="HELIXFLOW_ROUTER_ACCESS__REDIS_URL")] = None,
    key_db: Annotated[
        Path, typer.Option(envvar="HELIXFLOW_ROUTER_ACCESS__KEY_DB_PATH", help="SQLite key store without Redis")
    ] = Path("helixflow-keys.sqlite3"),
    secret_file: Annotated[
        Path | None,
        typer.Option(help="with --direct: install the secret in this file (a mounted Secret); kept if it exists"),
    ] = None,
) -> None:
    """Create a key. Its secret is printed once and stored nowhere."""
    if secret_file is not None and not direct:
        raise typer.BadParameter("--secret-file goes with --direct (the Admin service always makes the secret)")
    given = secret_file.read_text().strip() if secret_file is not None else None
    unknown = [p for p in permission or [] if p not in _PERMISSIONS]
    if unknown:
        raise typer.BadParameter(f"unknown permission {unknown}; use inference or admin")
    scopes = admin_pb2.KeyScopes(
        permissions=[_PERMISSIONS[p] for p in permission or ["inference"]],
        models=model or [],
        budget_period=budget_period,
        project_id=project,
    )
    set_present(scopes, rpm=rpm, tpm=tpm, max_concurrent_streams=streams, budget_usd=budget_usd)
    if expires_in_days is not None:
        scopes.expires_at.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days))
    if direct:
        record, secret = asyncio.run(_direct_create(redis_url, key_db, template_from_proto(name, scopes), given))
        key = key_to_proto(record)
    else:
        request = admin_pb2.CreateKeyRequest(name=name, scopes=scopes)
        response = _stub(router).CreateKey(request, metadata=_auth(token))
        key, secret = response.key, response.secret
    _show([key])
    if secret_file is not None:
        # Never echo a secret the operator already holds (it would land in pod logs).
        state = "installed" if secret is not None else "already installed, left as it is"
        console.print(f"key with the secret from {secret_file}: {state}")
    else:
        console.print(f"secret (shown once, store it now): [bold]{secret}[/bold]")


@app.command("list")
def list_keys(
    router: Target = "127.0.0.1:50051",
    token: Token = "",
    all_keys: Annotated[bool, typer.Option("--all", help="include revoked keys")] = False,
) -> None:
    """List keys (never their secrets)."""
    response = _stub(router).ListKeys(admin_pb2.ListKeysRequest(include_revoked=all_keys), metadata=_auth(token))
    _show(list(response.keys))


@app.command("show")
def show(key_id: str, router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """Show one key and its usage."""
    stub = _stub(router)
    key = stub.GetKey(admin_pb2.GetKeyRequest(key_id=key_id), metadata=_auth(token)).key
    _show([key])
    if key.HasField("budget"):
        b = key.budget
        console.print(f"budget: ${b.spent_usd:.6f} of ${b.limit_usd:g} until {_when(b.period_end, True)}")
    if key.scopes.project_id:
        console.print(f"project: {key.scopes.project_id}")
    for usage in stub.GetUsage(admin_pb2.GetUsageRequest(key_id=key_id), metadata=_auth(token)).usage:
        console.print(
            f"usage: {usage.requests} requests, {usage.prompt_tokens} prompt + "
            f"{usage.completion_tokens} completion tokens, ${usage.cost_usd:.6f}"
        )


@app.command("revoke")
def revoke(key_id: str, router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """Revoke a key; every router refuses it from the next request on."""
    key = _stub(router).RevokeKey(admin_pb2.RevokeKeyRequest(key_id=key_id), metadata=_auth(token)).key
    _show([key])
