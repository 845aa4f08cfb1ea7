"""``maskloop demo``: the main job on embedded defaults (no servers)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def demo(
    ctx: typer.Context,
    workdir: Path = typer.Option(Path(".maskloop/demo"), "--workdir", help="Where the demo writes everything."),
    rounds: int = typer.Option(2, "--rounds", min=1, max=20, help="Annotation rounds to run."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Run the data engine end to end on generated surgical-like videos (SQLite, local store,
    Prefect ephemeral, MLflow on SQLite, oracle reviewer); writes WORKDIR/report.html."""
    from rich.console import Console
    from rich.table import Table

    from flows.cli.cycle_progress import cycle_progress

    with cycle_progress("maskloop demo", log_steps=not as_json) as (step, progress):
        from flows.programs.demo import run_demo

        result = run_demo(workdir, rounds=rounds, step=step, progress=progress)
    if as_json:
        typer.echo(json.dumps(result.as_json()))
        return
    table = Table(title=f"maskloop demo: {rounds} rounds in {result.seconds:.0f} s")
    for col in ("round", "proposed", "accepted", "rejected", "acceptance", "frames edited/acc.", "clicks/acc.",
                "val J&F", "champion J&F", "promoted", "champion"):
        table.add_column(col, justify="left" if col == "round" else "right")
    for row in result.as_json()["rounds"]:  # type: ignore[union-attr]
        table.add_row(str(row["round"]), str(row["proposed"]), str(row["accepted"]), str(row["rejected"]),
                      f"{row['acceptance_rate']:.0%}", f"{row['frames_edited_per_accepted']:.2f}",
                      f"{row['clicks_per_accepted']:.2f}", _num(row["val_JF"]), _num(row["champion_JF"]),
                      "-" if row["promoted"] is None else ("yes" if row["promoted"] else "no"), str(row["champion"]))
    Console(width=150).print(table)
    phases = result.as_json()["phases"]
    if phases:
        ptable = Table(title="the same training videos annotated in SAM 2's three phases (click-level simulated "
                             "annotator, every frame to IoU 0.85)")
        for col in ("phase", "frames edited %", "clicks/masklet", "clicks/clicked frame", "s/frame", "J&F"):
            ptable.add_column(col, justify="right")
        for p in phases:  # type: ignore[union-attr]
            ptable.add_row(str(p["phase"]), f"{p['frames_edited_pct']:.1f}", f"{p['clicks_per_masklet']:.2f}",
                           f"{p['clicks_per_clicked_frame']:.2f}", f"{p['seconds_per_frame']:.2f}", f"{p['JF']:.3f}")
        Console(width=150).print(ptable)
    typer.echo(f"report: {result.report}")


def _num(value: object) -> str:
    return "-" if value is None else f"{float(value):.3f}"
