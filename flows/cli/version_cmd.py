"""``maskloop version``: print the installed version and the pinned services."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version

import typer

PINNED = ("prefect", "mlflow", "label-studio-sdk", "sqlmodel", "torch", "sam2")


def version(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list key dependency versions."),
) -> None:
    """Print maskloop's version."""
    typer.echo(f"maskloop {dist_version('maskloop')}")
    if verbose:
        for name in PINNED:
            try:
                typer.echo(f"  {name} {dist_version(name)}")
            except PackageNotFoundError:
                typer.echo(f"  {name} (not installed)")
