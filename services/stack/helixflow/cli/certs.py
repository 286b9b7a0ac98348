"""``helixflow certs``: development mTLS certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from helixflow.common.certs import init_dev_pki

app = typer.Typer(no_args_is_help=True, help="Development certificates for mTLS.")


@app.command("init")
def init(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write ca.pem, router.pem, worker.pem and keys into.")],
    name: Annotated[list[str] | None, typer.Option("--name", help="Extra DNS name or IP for the SANs.")] = None,
) -> None:
    """Create a dev CA plus router (client) and worker (server) certificates."""
    files = init_dev_pki(out_dir, name or [])
    console = Console()
    console.print(f"[green]CA[/green] {out_dir / 'ca.pem'}")
    for role, tls in files.items():
        console.print(f"[green]{role}[/green] {tls.cert_file} (key {tls.key_file})")
