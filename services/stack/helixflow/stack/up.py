"""``helixflow up``: the whole stack on loopback, for trying HelixFlow out (``make run``)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from helixflow.common.grpc_server import install_sigterm
from helixflow.common.logs import LogFormat, setup_logging
from helixflow.stack.supervisor import WorkerStartError
from helixflow.worker.config import Backend
from helixflow.worker.extra_buffers import ExtraBuffers

if TYPE_CHECKING:
    from helixflow.stack.local import LocalStack, StackOptions

console = Console()

_STEPS = {
    "certificates": "Generating dev certificates (mTLS router <-> workers)",
    "model": "Starting the worker processes: loading and warming up the model",
    "router": "Starting the router",
    "bridge": "Starting the OpenAI-compatible bridge",
}


def _snippets(stack: LocalStack, model: str) -> str:
    # max_tokens: without it a base model may ramble to the end of its context (2048 tokens).
    url = stack.bridge_url
    return (
        f"[bold]OpenAI REST[/] {url}/v1    [bold]gRPC[/] {stack.router_address} (helixflow.v1.Inference, plaintext)\n"
        f"[bold]Web console[/] {url}/ui    (playground, workers, keys, usage, live requests)\n"
        f"[bold]Front door[/] {stack.options.router_processes} router and {stack.options.bridge_processes} bridge "
        "process(es) (--router-processes, --bridge-processes)\n\n"
        f"curl {url}/v1/chat/completions -H 'content-type: application/json' \\\n"
        f'  -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": "Hello!"}}], "max_tokens": 64}}\'\n\n'
        "from openai import OpenAI\n"
        f'client = OpenAI(base_url="{url}/v1", api_key="unused")\n'
        f'print(client.chat.completions.create(model="{model}", '
        'messages=[{"role": "user", "content": "Hello!"}], max_tokens=64).choices[0].message.content)\n\n'
        "Workers run in their own processes: one that dies is reported here and restarted.\n"
        "Ctrl-C drains and stops everything."
    )


def _report(line: str) -> None:
    """Supervisor lines: deaths and restarts in red, the rest dim."""
    style = "red" if "died" in line or "exited" in line or "not ready" in line else "dim"
    console.print(f"[{style}]{escape(line)}[/{style}]", highlight=False)


async def _run(options: StackOptions) -> None:
    from helixflow.stack.local import LocalStack  # needs the `bridge` extra

    stack = LocalStack(options)
    stop = asyncio.Event()
    install_sigterm(stop)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        tasks = {name: progress.add_task(text, total=1) for name, text in _STEPS.items()}

        def step(name: str) -> None:
            progress.update(tasks[name], completed=1)

        await stack.start(step)  # on failure it stops what it started
    console.rule("HelixFlow is up")
    # soft_wrap: long lines stay whole so the snippets paste as they are.
    console.print(_snippets(stack, options.model_id), soft_wrap=True, highlight=False)
    await stop.wait()
    console.print("draining...")
    await stack.stop()
    console.print("stopped")


def up(
    workers: Annotated[int, typer.Option(min=1, help="number of worker processes")] = 1,
    model_path: Annotated[Path | None, typer.Option(help="GGUF file; default: the packaged Gemma 3 270M")] = None,
    model_id: Annotated[str, typer.Option(help="name to serve the model under")] = "gemma-3-270m",
    backend: Annotated[str, typer.Option(help="llama_cpp (default), vllm, or fake (benchmarks)")] = "llama_cpp",
    router_port: Annotated[int, typer.Option(help="router gRPC port")] = 50051,
    bridge_port: Annotated[int, typer.Option(help="REST bridge port")] = 8080,
    certs_dir: Annotated[Path, typer.Option(help="where the fresh dev certificates go")] = Path(".dev/certs"),
    auth: Annotated[bool, typer.Option("--auth/--no-auth", help="require API keys (off for local dev)")] = False,
    extra_buffer_types: Annotated[
        str, typer.Option(help="llama.cpp weight repacking: auto (off where the CPU has AMX), on, off")
    ] = "auto",
    threads_per_worker: Annotated[
        int | None, typer.Option(min=1, help="decode threads per worker; default: the cores split between workers")
    ] = None,
    log_format: Annotated[LogFormat, typer.Option(help="text (default here) or json")] = "text",
    router_processes: Annotated[
        int, typer.Option(min=0, help="router processes on the router port; 0 = from the cores (1 below 8)")
    ] = 0,
    bridge_processes: Annotated[
        int, typer.Option(min=0, help="bridge processes on the bridge port; 0 = from the cores (1 below 8)")
    ] = 0,
) -> None:
    """Start workers (one process each, supervised), router and REST bridge on loopback; Ctrl-C stops them."""
    setup_logging(log_format, logging.WARNING)  # warnings only: the console shows the snippets
    if backend not in ("llama_cpp", "vllm", "fake"):
        raise typer.BadParameter("backend must be llama_cpp, vllm or fake", param_hint="--backend")
    if extra_buffer_types not in ("auto", "on", "off"):
        raise typer.BadParameter("must be auto, on or off", param_hint="--extra-buffer-types")
    chosen: Backend = backend  # type: ignore[assignment]
    buffers: ExtraBuffers = extra_buffer_types  # type: ignore[assignment]
    from helixflow.stack.front_door import available_cores, front_door_processes
    from helixflow.stack.local import StackOptions  # needs the `bridge` extra

    auto_routers, auto_bridges = front_door_processes(available_cores(), auth)
    options = StackOptions(
        workers=workers,
        backend=chosen,
        model_path=model_path,
        model_id=model_id,
        router_port=router_port,
        bridge_port=bridge_port,
        certs_dir=certs_dir,
        auth=auth,
        extra_buffer_types=buffers,
        threads_per_worker=threads_per_worker,
        report=_report,
        router_processes=router_processes or auto_routers,
        bridge_processes=bridge_processes or auto_bridges,
    )
    if not auth:
        console.print(
            "[yellow]auth is OFF[/yellow]: any caller on this machine may use it (pass --auth to require keys)"
        )
    try:
        asyncio.run(_run(options))
    except WorkerStartError as err:
        console.print(f"[red]{escape(str(err))}[/red]")
        console.print(
            "A worker that crashes at start-up usually meets a native fault in its engine. On CPUs with AMX, "
            "try --extra-buffer-types off; the worker's own log lines are above."
        )
        raise typer.Exit(1) from None
