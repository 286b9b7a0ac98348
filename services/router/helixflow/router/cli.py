"""``helixflow router`` (start it), ``helixflow chat "..."`` and ``helixflow models``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Annotated, Any

import grpc
import typer
from prometheus_client import start_http_server
from rich.console import Console

from helixflow.common.grpc_server import install_sigterm
from helixflow.common.logs import LogFormat, setup_logging
from helixflow.common.processes import default_processes, supervise
from helixflow.common.tracing import setup_tracing
from helixflow.router.client_options import CaFile, CertFile, Connection, KeyFile, Target, Token
from helixflow.router.config import RouterSettings
from helixflow.router.server import create_server
from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc

app = typer.Typer(add_completion=False)
console = Console()


@app.command("router")
def run_router(
    log_format: Annotated[LogFormat | None, typer.Option(help="json (default) or text")] = None,
    processes: Annotated[
        int, typer.Option(help="router processes sharing the port (SO_REUSEPORT); 0 = one per core")
    ] = 1,
) -> None:
    """Start the router (settings from HELIXFLOW_ROUTER_* environment variables)."""
    settings = RouterSettings(**({"log_format": log_format} if log_format else {}))  # type: ignore[arg-type]
    count = processes or default_processes()
    if count > 1:
        raise typer.Exit(_run_processes(settings, count, log_format))
    setup_logging(settings.log_format, logging.INFO)
    setup_tracing("helixflow-router", settings.otlp_endpoint)

    async def main() -> None:
        server, port = create_server(settings)
        if settings.metrics_port:
            start_http_server(settings.metrics_port)
        stop = asyncio.Event()
        install_sigterm(stop)
        await server.start()
        console.print(f"router listening on port {port}, policy {settings.policy}")
        if not settings.access.auth_enabled:
            console.print("[bold yellow]authentication is OFF[/] (HELIXFLOW_ROUTER_ACCESS__AUTH_ENABLED=false)")
        await stop.wait()
        await server.stop()

    asyncio.run(main())


def _run_processes(settings: RouterSettings, count: int, log_format: LogFormat | None) -> int:
    """``count`` routers on one port. Each has its own worker channels; the others' calls
    reach its picks through the workers' load reports, as other replicas' do."""
    if settings.listen.rpartition(":")[2] in ("", "0"):
        raise typer.BadParameter("--processes needs a fixed port in HELIXFLOW_ROUTER_LISTEN", param_hint="--processes")

    def env_for(i: int) -> dict[str, str]:
        env = {"HELIXFLOW_ROUTER_REUSE_PORT": "true"}
        if settings.metrics_port:
            env["HELIXFLOW_ROUTER_METRICS_PORT"] = str(settings.metrics_port + i)
        return env

    argv = ["router", "--processes", "1", *(["--log-format", log_format] if log_format else [])]
    console.print(f"router: {count} processes on {settings.listen}")
    return supervise(argv, count, env_for)


@app.command("chat")
def chat(
    prompt: str,
    router: Target = "127.0.0.1:50051",
    model: Annotated[str, typer.Option(help="model id or alias; empty = the only one")] = "",
    max_tokens: Annotated[int, typer.Option()] = 256,
    system: Annotated[str, typer.Option(help="optional system message")] = "",
    token: Token = "",
    ca: CaFile = None,
    cert: CertFile = None,
    key: KeyFile = None,
) -> None:
    """Stream a reply from the router to the terminal."""
    connection = Connection(router, token, ca, cert, key)
    messages = [common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content=prompt)]
    if system:
        messages.insert(0, common_pb2.ChatMessage(role=common_pb2.ROLE_SYSTEM, content=system))
    request = inference_pb2.GenerateRequest(
        model=model,
        messages=common_pb2.ChatMessages(messages=messages),
        sampling=common_pb2.SamplingParams(max_tokens=max_tokens),
    )

    async def main() -> None:
        async with connection.aio_channel() as channel:
            stub = inference_pb2_grpc.InferenceStub(channel)
            async for reply in stub.Generate(request, metadata=connection.metadata()):
                if reply.HasField("delta"):
                    console.out(reply.delta.text, end="", highlight=False)
                else:
                    done = reply.complete
                    reason = common_pb2.FinishReason.Name(done.finish_reason).removeprefix("FINISH_REASON_")
                    console.print(f"\n[dim]{reason.lower()}, {done.usage.completion_tokens} tokens[/dim]")

    _run_client(main())


def _run_client(coro: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(coro)
    except grpc.aio.AioRpcError as err:
        console.print(f"[red]{err.code().name}[/red]: {err.details()}")
        raise typer.Exit(1) from None
