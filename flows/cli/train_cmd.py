"""``maskloop train``: retrain a model on a dataset version (logged in MLflow)."""

from __future__ import annotations

import typer

from flows.errors import FlowError


def train(
    ctx: typer.Context,
    dataset: str = typer.Option(..., "--dataset", help="Dataset version NAME@N to train on."),
    base: str | None = typer.Option(None, "--base", help="Model reference to start from."),
) -> None:
    """Train a model on a dataset version, log it in MLflow and register it."""
    raise FlowError("train is not available in this build yet (it lands with the cycle issue)")
