"""``helixflow bridge``: serve the OpenAI-compatible REST bridge with uvicorn."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from helixflow.common.logs import LogFormat, setup_logging
from helixflow.common.tracing import setup_tracing
from helixflow.rest_bridge.config import BridgeSettings

app = typer.Typer(add_completion=False, help="OpenAI-compatible REST bridge to the router.")


@app.callback(invoke_without_command=True)
def serve(
    host: Annotated[str | None, typer.Option(help="Listen host (default from HELIXFLOW_BRIDGE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default 8080)")] = None,
    router: Annotated[str | None, typer.Option(help="Router address host:port")] = None,
    log_format: Annotated[LogFormat | None, typer.Option(help="json (default) or text")] = None,
) -> None:
    """Serve /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models."""
    overrides = {
        k: v
        for k, v in {"host": host, "port": port, "router_address": router, "log_format": log_format}.items()
        if v is not None
    }
    settings = BridgeSettings(**overrides)  # type: ignore[arg-type]
    # Imported here: fastapi and uvicorn come with the `bridge` extra, and `helixflow`
    # itself must start without it.
    import uvicorn

    from helixflow.rest_bridge.app import create_app

    setup_logging(settings.log_format, logging.INFO)
    setup_tracing("helixflow-bridge", settings.otlp_endpoint)
    # log_config=None: keep our handlers (uvicorn would install its own).
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=False)
