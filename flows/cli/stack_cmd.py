"""``maskloop stack``: Start, check and stop the local service stack (PostgreSQL, S3, Label Studio, MLflow, Prefect)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Start, check and stop the local service stack (PostgreSQL, S3, Label Studio, MLflow, Prefect).", no_args_is_help=True)
