"""``maskloop bench``: benchmarks of the data engine on real data (``bench engine``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Benchmarks of the data engine on real data.", no_args_is_help=True)


@app.command("engine")
def engine(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", help="DAVIS root: JPEGImages/480p/<seq> and Annotations/480p/<seq>."),
    rounds: int = typer.Option(3, "--rounds", min=1, max=50, help="Annotation rounds to run."),
    videos_per_round: int = typer.Option(3, "--videos-per-round", min=1, help="New training sequences per round."),
    val: int = typer.Option(3, "--val", min=1, help="Held-out sequences: the last N in sorted order."),
    workdir: Path = typer.Option(Path(".maskloop/bench-engine"), "--workdir",
                                 help="Where the run writes everything (its home/ and davis/ are replaced)."),
    stride: int = typer.Option(4, "--stride", min=1, help="Keep every N-th frame (DAVIS is 24 fps; 4 -> 6 fps)."),
    max_frames: int = typer.Option(0, "--max-frames", min=0, help="Frames kept per sequence (0: all)."),
    width: int = typer.Option(427, "--width", min=0,
                              help="Working width in px, aspect kept (0: native; DAVIS 480p is 854)."),
    model: str = typer.Option("builtin:default", "--model", help="The first champion (a model reference)."),
    points_per_side: int = typer.Option(16, "--points-per-side", min=1,
                                        help="Point grid on the first frame (one layer, no crops)."),
    pred_iou_thresh: float = typer.Option(0.5, "--pred-iou-thresh", min=0.0, max=1.0,
                                          help="Keep masks whose predicted IoU reaches this."),
    stability_thresh: float = typer.Option(0.5, "--stability-thresh", min=0.0, max=1.0,
                                           help="Keep masks whose stability score reaches this."),
    max_masks: int = typer.Option(10, "--max-masks", min=1, help="Masklets proposed per video at most."),
    train_steps: int = typer.Option(80, "--train-steps", min=1, help="Optimisation steps per retraining."),
    train_lr: float = typer.Option(1e-4, "--train-lr", min=0.0, help="Peak learning rate of retraining."),
    phases: bool = typer.Option(False, "--phases", help="Also compare SAM 2's three annotation phases on the "
                                "training videos with a click-level simulated annotator."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Run R rounds of the real cycle (champion's automatic masklets, oracle reviewer, refinement,
    dataset version, retraining, promotion gate) on unseen DAVIS sequences; per round the effort
    figures and the champion's J&F on a fixed held-out split. Writes WORKDIR/report.html."""
    from dataclasses import replace

    from flows.programs.davis_workcopy import WorkCopyConfig
    from flows.programs.engine_bench import (
        EngineBenchConfig,
        check_workdir,
        choose_sequences,
        default_cycle,
        run_engine_bench,
    )

    cycle = replace(default_cycle(), points_per_side=points_per_side, pred_iou_thresh=pred_iou_thresh,
                    stability_thresh=stability_thresh, max_masks=max_masks, train_steps=train_steps,
                    train_lr=train_lr)
    config = EngineBenchConfig(rounds=rounds, videos_per_round=videos_per_round, n_val=val, model=model,
                               copy=WorkCopyConfig(stride=stride, max_frames=max_frames, width=width), cycle=cycle,
                               phases=phases)
    choose_sequences(data, config)  # a wrong --data or --workdir fails here, before the heavy imports
    check_workdir(data, workdir)

    from rich.console import Console
    from rich.table import Table

    from flows.cli.cycle_progress import cycle_progress

    typer.echo("settings: " + json.dumps({k: v for k, v in config.as_json().items() if k != "oracle"}), err=True)
    with cycle_progress("maskloop bench engine", log_steps=not as_json) as (step, progress):
        result = run_engine_bench(data, workdir, config=config, step=step, progress=progress)
    doc = result.as_json()
    if as_json:
        typer.echo(json.dumps(doc))
        return
    table = Table(title=f"maskloop bench engine: {data.name}, {rounds} rounds in {result.seconds:.0f} s; "
                        f"held out: {', '.join(result.val_sequences)}")
    for col in ("round", "sequences", "proposed", "accepted", "manual", "acceptance", "frames edited/acc.",
                "clicks/acc.", "candidate J&F", "promoted", "champion", "val J&F"):
        table.add_column(col, justify="left" if col in ("round", "sequences") else "right")
    table.add_row("0", "-", "-", "-", "-", "-", "-", "-", "-", "-", result.baseline_champion,
                  f"{result.baseline_JF:.3f}")
    per = lambda v: "-" if v is None else f"{v:.2f}"
    for row in doc["rounds"]:  # type: ignore[union-attr]
        table.add_row(str(row["round"]), ", ".join(row["sequences"]), str(row["proposed"]), str(row["accepted"]),
                      str(row["manual"]), f"{row['acceptance_rate']:.0%}",
                      per(row["frames_edited_per_accepted"]), per(row["clicks_per_accepted"]),
                      "-" if row["candidate_JF"] is None else f"{row['candidate_JF']:.3f}",
                      "-" if row["promoted"] is None else ("yes" if row["promoted"] else "no"),
                      str(row["champion"]), f"{row['val_JF']:.3f}")
    Console(width=170).print(table)
    if doc["phases"]:
        ptable = Table(title="annotation phases on the training videos (same simulated annotator, same IoU target)")
        for col in ("phase", "frames edited %", "clicks/masklet", "clicks/clicked frame", "s/frame", "J&F"):
            ptable.add_column(col, justify="right")
        for p in doc["phases"]:  # type: ignore[union-attr]
            ptable.add_row(str(p["phase"]), f"{p['frames_edited_pct']:.1f}", f"{p['clicks_per_masklet']:.2f}",
                           f"{p['clicks_per_clicked_frame']:.2f}", f"{p['seconds_per_frame']:.2f}", f"{p['JF']:.3f}")
        Console(width=170).print(ptable)
    typer.echo(f"copy-first-mask anchor on the held-out split: J&F {result.copy_mask_JF:.3f}")
    typer.echo(f"report: {result.report}")
