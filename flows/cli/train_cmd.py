"""``maskloop train``: retrain a model on a dataset version (logged in MLflow), then gate promotion."""

from __future__ import annotations

import json

import typer

from flows.cli.context import settings_of


def train(
    ctx: typer.Context,
    dataset: str = typer.Option(..., "--dataset", help="Dataset version NAME@N to train on."),
    base: str | None = typer.Option(None, "--base", help="Start from: NAME@VERSION of a registered model, or a "
                                    "model reference (builtin:default, a checkpoint path); default the champion."),
    steps: int | None = typer.Option(None, "--steps", min=1, help="Optimisation steps (default 40)."),
    promote: bool = typer.Option(True, "--promote/--no-promote", help="Run the promotion gate afterwards."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Train on a dataset version's train split, evaluate on its frozen val split, register the model
    (MLflow + catalog) and move the champion alias if it beats the champion by the margin."""
    from dataclasses import replace

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from flows.cycle.config import CycleConfig
    from flows.cycle.evaluate_flow import promote_if_better
    from flows.cycle.retrain_flow import run_retraining
    from flows.cycle.workspace import open_workspace

    cfg = CycleConfig() if steps is None else replace(CycleConfig(), train_steps=steps)
    err = Console(stderr=True)
    with open_workspace(settings_of(ctx)) as ws:
        columns = (TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("train", total=cfg.train_steps)
            outcome = run_retraining(ws, dataset, base=base, cfg=cfg,
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
        decision = promote_if_better(ws, outcome.version, outcome.dataset_version, cfg=cfg) if promote else None
    result = {"model": outcome.model, "mlflow_run_id": outcome.mlflow_run_id, "training_run_id": outcome.training_run_id,
              "dataset_version": outcome.dataset_version, "base": outcome.base, "val_JF": outcome.val["JF"],
              "promoted": None if decision is None else decision.promoted,
              "champion": None if decision is None else decision.champion_after}
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"trained {outcome.model} on {outcome.dataset_version} from {outcome.base}: val J&F "
               f"{outcome.val['JF']:.3f} (MLflow run {outcome.mlflow_run_id})")
    if decision is not None:
        typer.echo(f"champion {decision.champion_before} J&F {decision.champion_jf:.3f}: "
                   f"{'promoted' if decision.promoted else 'kept'}; champion is {decision.champion_after}")
