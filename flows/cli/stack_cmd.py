"""``maskloop stack``: Start, check and stop the local service stack (PostgreSQL, S3, Label Studio,
MLflow, Prefect, webhook receiver)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.context import settings_of

app = typer.Typer(
    help="Start, check and stop the local service stack"
    " (PostgreSQL, S3, Label Studio, MLflow, Prefect, webhook receiver).",
    no_args_is_help=True,
)

_DIR_HELP = (
    "Stack directory (state, data, logs, stack.env); default MASKLOOP_STACK_DIR or <home>/stack."
)
StackDir = Annotated[Path | None, typer.Option("--dir", help=_DIR_HELP, show_default=False)]


def _manager(ctx: typer.Context, stack_dir: Path | None, *, every_service: bool = False):
    from flows.stack.manager import StackManager
    from flows.stack.records import ALL_SERVICES

    settings = settings_of(ctx, stack_dir=stack_dir)
    services = ALL_SERVICES if every_service else None
    return StackManager.for_dir(settings, stack_dir=stack_dir, services=services)


def _print_table(rows, *, stack_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    table = Table(title="maskloop stack", caption=str(stack_dir))
    table.add_column("service")
    table.add_column("state")
    table.add_column("pid", justify="right")
    table.add_column("url")
    for row in rows:
        state = "[green]up[/]" if row.up else "[red]down[/]"
        table.add_row(row.service, state, str(row.pid or ""), row.url)
    console = Console()
    console.print(table)
    ls = next((r for r in rows if r.service == "label-studio"), None)
    if ls is not None:
        console.print(login_hint(ls.url, stack_dir), highlight=False, soft_wrap=True)


def login_hint(url: str, stack_dir: Path) -> str:
    """Where reviewers log in to Label Studio and how to read the admin password (never printed)."""
    from flows.stack.records import StackSecrets
    from flows.stack.state import SECRETS_FILENAME

    secrets = stack_dir / SECRETS_FILENAME
    user = StackSecrets.__dataclass_fields__["label_studio_user"].default
    return (f"Label Studio: log in at {url} as {user}; the password is "
            f"label_studio_password in {secrets} (mode 0600), e.g. "
            f"python3 -c \"import json; print(json.load(open('{secrets}'))['label_studio_password'])\"")


@app.command("up")
def up(
    ctx: typer.Context,
    stack_dir: StackDir = None,
) -> None:
    """Start every service that is not running (reusing those that are) and write stack.env."""
    manager = _manager(ctx, stack_dir, every_service=True)
    manager.up()
    _print_table(manager.status(), stack_dir=manager.config.dir)


@app.command("status")
def status(
    ctx: typer.Context,
    stack_dir: StackDir = None,
) -> None:
    """Print a table (service, up/down, URL); exit 5 when any service is down."""
    manager = _manager(ctx, stack_dir)
    rows = manager.status()
    _print_table(rows, stack_dir=manager.config.dir)
    if not all(r.up for r in rows):
        raise typer.Exit(code=5)


@app.command("down")
def down(
    ctx: typer.Context,
    stack_dir: StackDir = None,
) -> None:
    """Stop exactly the processes `up` started and remove stack.env (data is kept)."""
    stopped = _manager(ctx, stack_dir).down()
    typer.echo(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
