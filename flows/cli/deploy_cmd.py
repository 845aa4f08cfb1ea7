"""``maskloop deploy``: register every deployment of infra/prefect.yaml with its work pool.

Registered as a top-level command in flows/cli/groups.py (``("deploy", deploy_cmd.deploy)``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.context import settings_of


def deploy(
    ctx: typer.Context,
    prefect_file: Path | None = typer.Option(
        None, "--prefect-file", help="Deployment definitions; default infra/prefect.yaml of this checkout.",
        show_default=False,
    ),
    gpu_workers: int = typer.Option(
        1, "--gpu-workers", min=1, help="GPU workers you run: the limit of the global concurrency limit `gpu`."
    ),
    only: list[str] = typer.Option(
        [], "--only", help="Register only this deployment (repeatable).", show_default=False
    ),
) -> None:
    """Register (or update) every deployment, the `gpu` concurrency limit and the crash detector."""
    from rich.console import Console
    from rich.table import Table

    from flows.orchestration.deploy_all import deploy_all

    settings = settings_of(ctx)
    console = Console()
    with console.status("registering deployments"):
        report = deploy_all(settings, prefect_file=prefect_file, gpu_workers=gpu_workers, only=tuple(only))
    table = Table(title=f"deployments on {report.api_url}", caption=f"source {report.source}")
    for column in ("deployment", "work pool", "schedules", "triggers"):
        table.add_column(column)
    for ref in report.deployments:
        table.add_row(ref.full_name, ref.work_pool, str(ref.n_schedules), str(ref.n_triggers))
    console.print(table)
    console.print(
        f"global concurrency limit gpu = {report.gpu_limit}; flow runs get {len(report.env_keys)} "
        "MASKLOOP_* settings (secrets come from stack.env or the worker's environment)"
    )
