"""``helixflow``: one command line for every service and tool.

Each service owns its sub-commands in its own ``cli`` module; this file only
mounts them.
"""

from __future__ import annotations

import typer

from helixflow.cli import certs
from helixflow.rest_bridge import cli as bridge_cli
from helixflow.router import cli as router_cli
from helixflow.router import keys_cli, secrets_cli
from helixflow.stack.up import up
from helixflow.worker.cli import worker

app = typer.Typer(no_args_is_help=True, add_completion=False, help="HelixFlow: gRPC-first LLM inference.")
app.add_typer(certs.app, name="certs")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(secrets_cli.app, name="secrets")
app.command("worker")(worker)
app.add_typer(router_cli.app)  # router, chat, models
app.add_typer(bridge_cli.app, name="bridge")
app.command("up")(up)


if __name__ == "__main__":
    app()
