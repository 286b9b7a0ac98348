"""``helixflow models [list|load|unload|pin]``: the models the router's workers serve.

``helixflow models`` alone (or ``models list``) lists each model with how many workers have
it loaded and how many can load it; ``--catalog`` shows every worker's catalog with states
(Admin scope). ``load``, ``unload`` and ``pin`` call the Admin catalog RPCs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

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
Everywhere = Annotated[str, typer.Option("--worker", help="worker address; default: every worker concerned")]


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
    """List the models the router's workers serve (without a sub-command). The connection
    options go before the sub-command: ``helixflow models --router HOST:PORT load ID``."""
    ctx.obj = Connection(router, token, ca, cert, key)
    if ctx.invoked_subcommand is None:
        list_models(ctx)


def _admin(ctx: typer.Context, rpc: str, request: object) -> Any:
    """The Admin RPC ``rpc`` with the group's connection (its reply type is the caller's)."""
    connection: Connection = ctx.obj
    return _call(
        connection,
        lambda ch: getattr(admin_pb2_grpc.AdminStub(ch), rpc)(request, metadata=connection.metadata()),
    )


@app.command("list")
def list_models(
    ctx: typer.Context,
    catalog: Annotated[bool, typer.Option("--catalog", help="every worker's catalog with states (admin)")] = False,
) -> None:
    """Models with loaded/loadable worker counts, or with --catalog each worker's catalog."""
    connection: Connection = ctx.obj
    if catalog:
        listed: admin_pb2.ListCatalogResponse = _admin(ctx, "ListCatalog", admin_pb2.ListCatalogRequest())
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
        counts = (m.ready_workers, m.loaded_workers, m.loadable_workers, m.failed_workers, m.backend, m.context_length)
        table.add_row(m.id, ", ".join(m.aliases), *map(str, counts))
    console.print(table)


@app.command("load")
def load(ctx: typer.Context, model: str, worker: Worker = "") -> None:
    """Load a model on one worker (the cheapest unless --worker) and wait for it (admin)."""
    reply: admin_pb2.LoadCatalogModelResponse = _admin(
        ctx, "LoadCatalogModel", admin_pb2.LoadCatalogModelRequest(model=model, worker=worker)
    )
    _results([reply.result])
    if reply.result.model.state == worker_pb2.MODEL_STATE_FAILED:
        raise typer.Exit(1)


@app.command("unload")
def unload(ctx: typer.Context, model: str, worker: Everywhere = "") -> None:
    """Unload a model once its streams finish (admin)."""
    reply: admin_pb2.UnloadCatalogModelResponse = _admin(
        ctx, "UnloadCatalogModel", admin_pb2.UnloadCatalogModelRequest(model=model, worker=worker)
    )
    _results(list(reply.results))


@app.command("pin")
def pin(
    ctx: typer.Context,
    model: str,
    unpin: Annotated[bool, typer.Option("--unpin", help="unpin instead")] = False,
    worker: Everywhere = "",
) -> None:
    """Pin a model (load it and never unload it), or --unpin it (admin)."""
    request = admin_pb2.PinCatalogModelRequest(model=model, pinned=not unpin, worker=worker)
    reply: admin_pb2.PinCatalogModelResponse = _admin(ctx, "PinCatalogModel", request)
    _results(list(reply.results))
