"""``helixflow models [list|load|unload|pin]``: the models the router's workers serve.

``helixflow models`` alone (or ``models list``) lists each model with how many workers have
it loaded and how many can load it; ``--catalog`` shows every worker's catalog with states
(Admin scope). ``load``, ``unload`` and ``pin`` call the Admin catalog RPCs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import grpc
import typer
from rich.console import Console
from rich.table import Table

from helixflow.router.client_options import CaFile, CertFile, Connection, KeyFile, Target, Token
from helixflow.v1 import admin_pb2, admin_pb2_grpc, inference_pb2, inference_pb2_grpc, worker_pb2

app = typer.Typer(add_completion=False, help="Models: list, load, unload, pin.", invoke_without_command=True)
console = Console()
T = TypeVar("T")
Worker = Annotated[str, typer.Option("--worker", help="worker address; default: as the router chooses")]


def _state(value: int) -> str:
    return worker_pb2.ModelState.Name(value).removeprefix("MODEL_STATE_").lower()  # type: ignore[arg-type]


def _call(connection: Connection, send: Callable[[grpc.aio.Channel], Awaitable[T]]) -> T:
    async def main() -> T:
        async with connection.aio_channel() as channel:
            return await send(channel)

    try:
        return asyncio.run(main())
    except grpc.aio.AioRpcError as err:
        console.print(f"[red]{err.code().name}[/red]: {err.details()}")
        raise typer.Exit(1) from None


def _results(results: list[admin_pb2.CatalogModelResult]) -> None:
    table = Table("worker", "model", "state", "pinned", "failure")
    for r in results:
        table.add_row(r.address, r.model.id, _state(r.model.state), "yes" if r.model.pinned else "", r.model.failure)
    console.print(table)


@app.callback()
def main(
    ctx: typer.Context,
    router: Target = "127.0.0.1:50051",
    token: Token = "",
    ca: CaFile = None,
    cert: CertFile = None,
    key: KeyFile = None,
) -> None:
    """List the models the router's workers serve (without a sub-command)."""
    if ctx.invoked_subcommand is None:
        list_models(router, token, ca, cert, key)


@app.command("list")
def list_models(
    router: Target = "127.0.0.1:50051",
    token: Token = "",
    ca: CaFile = None,
    cert: CertFile = None,
    key: KeyFile = None,
    catalog: Annotated[bool, typer.Option("--catalog", help="every worker's catalog with states (admin)")] = False,
) -> None:
    """Models with loaded/loadable worker counts, or with --catalog each worker's catalog."""
    connection = Connection(router, token, ca, cert, key)
    if catalog:
        listed = _call(
            connection,
            lambda ch: admin_pb2_grpc.AdminStub(ch).ListCatalog(
                admin_pb2.ListCatalogRequest(), metadata=connection.metadata()
            ),
        )
        table = Table("worker", "model", "state", "pinned", "streams", "MiB", "origin", "failure")
        for w in listed.workers:
            for e in w.models:
                table.add_row(
                    w.address,
                    e.id,
                    _state(e.state),
                    "yes" if e.pinned else "",
                    str(e.active_streams),
                    f"{e.estimated_bytes / 2**20:.0f}",
                    e.origin,
                    e.failure,
                )
        console.print(table)
        return
    reply = _call(
        connection,
        lambda ch: inference_pb2_grpc.InferenceStub(ch).ListModels(
            inference_pb2.ListModelsRequest(), metadata=connection.metadata()
        ),
    )
    table = Table("model", "aliases", "workers", "loaded", "loadable", "failed", "backend", "context")
    for m in reply.models:
        table.add_row(
            m.id,
            ", ".join(m.aliases),
            str(m.ready_workers),
            str(m.loaded_workers),
            str(m.loadable_workers),
            str(m.failed_workers),
            m.backend,
            str(m.context_length),
        )
    console.print(table)


@app.command("load")
def load(
    model: str,
    worker: Worker = "",
    router: Target = "127.0.0.1:50051",
    token: Token = "",
    ca: CaFile = None,
    cert: CertFile = None,
    key: KeyFile = None,
) -> None:
    """Load a model on one worker (the cheapest unless --worker) and wait for it (admin)."""
    connection = Connection(router, token, ca, cert, key)
    request = admin_pb2.LoadCatalogModelRequest(model=model, worker=worker)
    reply = _call(
        connection,
        lambda ch: admin_pb2_grpc.AdminStub(ch).LoadCatalogModel(request, metadata=connection.metadata()),
    )
    _results([reply.result])
    if reply.result.model.state == worker_pb2.MODEL_STATE_FAILED:
        raise typer.Exit(1)


@app.command("unload")
def unload(
    model: str,
    worker: Annotated[str, typer.Option("--worker", help="worker address; default: every worker")] = "",
    router: Target = "127.0.0.1:50051",
    token: Token = "",
    ca: CaFile = None,
    cert: CertFile = None,
    key: KeyFile = None,
) -> None:
    """Unload a model once its streams finish (admin)."""
    connection = Connection(router, token, ca, cert, key)
    request = admin_pb2.UnloadCatalogModelRequest(model=model, worker=worker)
    reply = _call(
        connection,
        lambda ch: admin_pb2_grpc.AdminStub(ch).UnloadCatalogModel(request, metadata=connection.metadata()),
    )
    _results(list(reply.results))


@app.command("pin")
def pin(
    model: str,
    unpin: Annotated[bool, typer.Option("--unpin", help="unpin instead")] = False,
    worker: Annotated[str, typer.Option("--worker", help="worker address; default: every worker")] = "",
    router: Target = "127.0.0.1:50051",
    token: Token = "",
    ca: CaFile = None,
    cert: CertFile = None,
    key: KeyFile = None,
) -> None:
    """Pin a model (load it and never unload it), or --unpin it (admin)."""
    connection = Connection(router, token, ca, cert, key)
    request = admin_pb2.PinCatalogModelRequest(model=model, pinned=not unpin, worker=worker)
    reply = _call(
        connection,
        lambda ch: admin_pb2_grpc.AdminStub(ch).PinCatalogModel(request, metadata=connection.metadata()),
    )
    _results(list(reply.results))
