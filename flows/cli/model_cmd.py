"""``maskloop model``: Model versions: list, promote (audited), pull (model_pull_cmd.py)."""

from __future__ import annotations

import json

import typer

from flows.cli.context import settings_of

app = typer.Typer(help="Model versions: list, promote (audited), pull SAM 2.1.",
                  no_args_is_help=True)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="Model name (default: every model)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Registered model versions with their aliases, training run and validation J&F."""
    from rich.console import Console
    from rich.table import Table

    from flows.cycle.workspace import open_workspace
    from storage.catalog.model_aliases import list_models, training_runs

    with open_workspace(settings_of(ctx)) as ws:
        models = list_models(ws.catalog, name)
        runs = training_runs(ws.catalog).set_index("id") if models else None
    rows = []
    for m in models:
        run = runs.loc[m.training_run_id] if runs is not None and m.training_run_id in runs.index else None
        rows.append({"name": m.ref.name, "version": m.ref.version, "aliases": list(m.aliases), "uri": m.ref.uri,
                     "training_run": m.training_run_id,
                     "dataset_version": None if run is None else run["params"].get("dataset_version"),
                     "val_JF": None if run is None else run["metrics"].get("val_JF"),
                     "created_at": m.created_at.isoformat()})
    if as_json:
        typer.echo(json.dumps({"models": rows}))
        return
    table = Table(title="models")
    for col in ("name", "version", "aliases", "dataset version", "val J&F", "created"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], str(r["version"]), ", ".join(r["aliases"]), str(r["dataset_version"] or "-"),
                      "-" if r["val_JF"] is None else f"{r['val_JF']:.3f}", r["created_at"][:16])
    Console(width=140).print(table)


@app.command("promote")
def promote(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version to make champion."),
    reason: str = typer.Option("manual override", "--reason", help="Why (recorded in the audit trail)."),
) -> None:
    """Give NAME@VERSION the champion alias regardless of scores (manual override, audited)."""
    from flows.cycle.evaluate_flow import promote_manually
    from flows.cycle.workspace import open_workspace

    with open_workspace(settings_of(ctx)) as ws:
        before = promote_manually(ws, name, version, reason=reason)
    typer.echo(f"{name}@{version} is now champion" + (f" (was {before})" if before else ""))
