"""``helixflow bridge``: serve the OpenAI-compatible REST bridge with uvicorn."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from helixflow.common.logs import LogFormat, setup_logging
from helixflow.common.processes import default_processes, reuse_port_socket, supervise
from helixflow.common.tracing import setup_tracing
from helixflow.rest_bridge.config import BridgeSettings

# Set by the parent of --processes N in its children's environment (not a user setting).
_REUSE_PORT = "HELIXFLOW_BRIDGE_CHILD_REUSE_PORT"

app = typer.Typer(add_completion=False, help="OpenAI-compatible REST bridge to the router.")


@app.callback(invoke_without_command=True)
def serve(
    host: Annotated[str | None, typer.Option(help="Listen host (default from HELIXFLOW_BRIDGE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default 8080)")] = None,
    router: Annotated[str | None, typer.Option(help="Router address host:port")] = None,
    log_format: Annotated[LogFormat | None, typer.Option(help="json (default) or text")] = None,
    processes: Annotated[
        int, typer.Option(help="bridge processes sharing the port (SO_REUSEPORT); 0 = one per core")
    ] = 1,
) -> None:
    """Serve /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /v1/responses and /v1/messages."""
    overrides = {
        k: v
        for k, v in {"host": host, "port": port, "router_address": router, "log_format": log_format}.items()
        if v is not None
    }
    settings = BridgeSettings(**overrides)  # type: ignore[arg-type]
    count = processes or default_processes()
    if count > 1:
        if not settings.port:
            raise typer.BadParameter("--processes needs a fixed --port", param_hint="--processes")
        argv = ["bridge", "--processes", "1", "--host", settings.host, "--port", str(settings.port)]
        argv += ["--router", settings.router_address, "--log-format", settings.log_format]
        raise typer.Exit(supervise(argv, count, lambda i: {_REUSE_PORT: "1"}))
    # Imported here: fastapi and uvicorn come with the `bridge` extra, and `helixflow`
    # itself must start without it.
    import uvicorn

    from helixflow.rest_bridge.app import create_app

    setup_logging(settings.log_format, logging.INFO)
    setup_tracing("helixflow-bridge", settings.otlp_endpoint)
    # log_config=None: keep our handlers (uvicorn would install its own).
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    # A child of --processes N binds with SO_REUSEPORT itself (uvicorn would not).
    shared = os.environ.get(_REUSE_PORT) == "1"
    server.run(sockets=[reuse_port_socket(settings.host, settings.port)] if shared else None)
