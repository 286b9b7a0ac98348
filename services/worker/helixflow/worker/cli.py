"""``helixflow worker``: run one worker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from helixflow.common.logs import LogFormat, setup_logging
from helixflow.common.tracing import setup_tracing
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import serve


def worker(
    listen: Annotated[str | None, typer.Option(help="host:port to listen on")] = None,
    backend: Annotated[
        str | None, typer.Option(help="llama_cpp, vllm, openai, anthropic or fake (benchmark only)")
    ] = None,
    model_path: Annotated[Path | None, typer.Option(help="GGUF file; default: the packaged Gemma 3 270M")] = None,
    model_id: Annotated[str | None, typer.Option(help="model name to serve under")] = None,
    tls_dir: Annotated[
        Path | None, typer.Option(help="folder with ca.pem, worker.pem, worker-key.pem (from `helixflow certs init`)")
    ] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="serve plaintext (no TLS): loopback dev only")] = False,
    log_format: Annotated[LogFormat | None, typer.Option(help="json (default) or text")] = None,
) -> None:
    """Start a worker. Flags override HELIXFLOW_WORKER_* environment variables."""
    overrides: dict[str, object] = {
        k: v
        for k, v in {
            "listen": listen,
            "backend": backend,
            "model_path": model_path,
            "model_id": model_id,
            "log_format": log_format,
        }.items()
        if v is not None
    }
    settings = WorkerSettings(**overrides)  # type: ignore[arg-type]
    if tls_dir is not None:
        settings.tls.ca_file, settings.tls.cert_file, settings.tls.key_file = (
            tls_dir / "ca.pem",
            tls_dir / "worker.pem",
            tls_dir / "worker-key.pem",
        )
    settings.tls.insecure = settings.tls.insecure or insecure
    setup_logging(settings.log_format, settings.log_level.upper())
    setup_tracing("helixflow-worker", settings.otlp_endpoint)
    asyncio.run(serve(settings))
