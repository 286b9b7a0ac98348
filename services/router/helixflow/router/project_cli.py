"""``helixflow keys project create|list|show|update|delete``: projects (teams) through
the router's Admin service. A project's budget, RPM/TPM and models are shared by all its
keys; ``helixflow keys create --project prj_...`` puts a key in one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from helixflow.router.access.admin.convert import set_present
from helixflow.router.client_options import Connection, Target, Token
from helixflow.v1 import admin_pb2, admin_pb2_grpc

app = typer.Typer(no_args_is_help=True, help="Projects: limits and budgets shared by their keys (admin scope).")
console = Console()

Models = Annotated[list[str] | None, typer.Option("--model", help="allowed model id or glob; repeat; none = all")]
Rpm = Annotated[int | None, typer.Option(help="requests per minute, all keys together")]
Tpm = Annotated[int | None, typer.Option(help="tokens per minute, all keys together")]
BudgetUsd = Annotated[float | None, typer.Option(help="spend budget per period, US dollars")]
Period = Annotated[str, typer.Option(help='budget period: "day", "month" or seconds like "3600s"')]


def _call(router: str, token: str) -> tuple[admin_pb2_grpc.AdminStub, tuple[tuple[str, str]]]:
    if not token:
        raise typer.BadParameter("an admin credential is needed: --token or HELIXFLOW_API_KEY")
    return admin_pb2_grpc.AdminStub(Connection.from_env(router, "").channel()), (("authorization", f"Bearer {token}"),)


def _limits(
    model: list[str] | None, rpm: int | None, tpm: int | None, budget: float | None, period: str
) -> admin_pb2.ProjectLimits:
    limits = admin_pb2.ProjectLimits(models=model or [], budget_period=period)
    return set_present(limits, rpm=rpm, tpm=tpm, budget_usd=budget)


def _show(projects: list[admin_pb2.Project]) -> None:
    table = Table("name", "models", "rpm", "tpm", "budget", "spent", "requests", "cost")
    table.add_column("project id", no_wrap=True)
    for p in projects:
        limits = p.limits
        budget = f"${limits.budget_usd:g}/{limits.budget_period}" if limits.HasField("budget_usd") else "-"
        table.add_row(
            p.name,
            ",".join(limits.models) or "*",
            str(limits.rpm) if limits.HasField("rpm") else "-",
            str(limits.tpm) if limits.HasField("tpm") else "-",
            budget,
            f"${p.budget.spent_usd:.6f}" if p.HasField("budget") else "-",
            str(p.usage.requests) if p.HasField("usage") else "-",
            f"${p.usage.cost_usd:.6f}" if p.HasField("usage") else "-",
            p.project_id,
        )
    console.print(table)


@app.command("create")
def create(
    name: str, model: Models = None, rpm: Rpm = None, tpm: Tpm = None, budget_usd: BudgetUsd = None,
    budget_period: Period = "month", router: Target = "127.0.0.1:50051", token: Token = "",
) -> None:  # fmt: skip
    """Create a project."""
    stub, auth = _call(router, token)
    request = admin_pb2.CreateProjectRequest(name=name, limits=_limits(model, rpm, tpm, budget_usd, budget_period))
    _show([stub.CreateProject(request, metadata=auth).project])


@app.command("list")
def list_projects(router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """List projects."""
    stub, auth = _call(router, token)
    _show(list(stub.ListProjects(admin_pb2.ListProjectsRequest(), metadata=auth).projects))


@app.command("show")
def show(project_id: str, router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """Show a project with its spend this period and its usage, then its keys' usage."""
    stub, auth = _call(router, token)
    _show([stub.GetProject(admin_pb2.GetProjectRequest(project_id=project_id), metadata=auth).project])
    for usage in stub.GetUsage(admin_pb2.GetUsageRequest(project_id=project_id), metadata=auth).usage:
        console.print(f"{usage.key_id}: {usage.requests} requests, ${usage.cost_usd:.6f}")


@app.command("update")
def update(
    project_id: str, name: str = "", model: Models = None, rpm: Rpm = None, tpm: Tpm = None,
    budget_usd: BudgetUsd = None, budget_period: Period = "month", router: Target = "127.0.0.1:50051",
    token: Token = "",
) -> None:  # fmt: skip
    """Replace a project's limits (options left out become unlimited)."""
    stub, auth = _call(router, token)
    limits = _limits(model, rpm, tpm, budget_usd, budget_period)
    request = admin_pb2.UpdateProjectRequest(project_id=project_id, name=name, limits=limits)
    _show([stub.UpdateProject(request, metadata=auth).project])


@app.command("delete")
def delete(project_id: str, router: Target = "127.0.0.1:50051", token: Token = "") -> None:
    """Delete a project; its keys are refused until they are replaced."""
    stub, auth = _call(router, token)
    deleted = stub.DeleteProject(admin_pb2.DeleteProjectRequest(project_id=project_id), metadata=auth).deleted
    console.print(f"{project_id}: {'deleted' if deleted else 'no such project'}")
