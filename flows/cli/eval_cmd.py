"""``maskloop eval``: semi-supervised VOS evaluation (J, F, J&F) on a DAVIS-layout folder."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from flows.cli.context import settings_of


def evaluate(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", help="DAVIS root (JPEGImages/480p, Annotations/480p)."),
    sequences: str | None = typer.Option(None, "--sequences", help="Comma-separated sequence names."),
    model: str | None = typer.Option(None, "--model", help="Model reference (default: settings' default_model)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Evaluate a model: first-frame masks as prompts, J/F/J&F on every later frame.

    Objects absent from frame 0 are prompted on the first frame they appear on and scored after
    it. The "copy the first mask" baseline is scored on the same frames.
    """
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from flows.evaluation import evaluate_davis, resolve_sequences
    from model.network.refs import load_model

    settings = settings_of(ctx)
    ref = model or settings.default_model
    names = resolve_sequences(data, [s.strip() for s in sequences.split(",") if s.strip()] if sequences else None)
    loaded = load_model(ref, device=settings.device)
    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=as_json) as progress:
        def on_sequence(name: str, n_frames: int):
            task = progress.add_task(f"eval {name}", total=n_frames)
            return lambda _f: progress.advance(task)

        report = evaluate_davis(data, model_ref=ref, sequences=names, on_sequence=on_sequence, model=loaded)
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    table = Table(title=f"maskloop eval -- {ref}")
    for col in ("sequence", "J", "F", "J&F", "baseline J&F"):
        table.add_column(col, justify="left" if col == "sequence" else "right")
    for name, row in report.sequences.items():
        table.add_row(name, f"{row['J']:.3f}", f"{row['F']:.3f}", f"{row['JF']:.3f}", f"{row['baseline_JF']:.3f}")
    m, b = report.mean, report.baseline_mean
    table.add_row("mean", f"{m['J']:.3f}", f"{m['F']:.3f}", f"{m['JF']:.3f}", f"{b['JF']:.3f}", style="bold")
    Console().print(table)
