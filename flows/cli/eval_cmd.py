"""``maskloop eval``: semi-supervised VOS evaluation (J, F, J&F) or, with ``--auto``, automatic
masklet proposals on each first frame (best IoU per object, recall@0.5) of a dataset folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.context import settings_of

_DATA_HELP = ("Dataset root: DAVIS (JPEGImages/480p, Annotations/480p) or a folder with frames/ "
              "and masks/ (one sequence).")
_SPLIT_HELP = ("ID@FRAME: from frame FRAME (file stem) on, object ID is a new object (highest id "
               "+ 1); repeatable. E.g. 2@000240 for the CholecInstanceSeg sample clip. --auto "
               "scores frame 0 only, which a split never changes.")
_PPS_HELP = "With --auto: one N x N point grid over the full frame, no crop layers."


def evaluate(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option("--data", help=_DATA_HELP)],
    sequences: Annotated[str | None, typer.Option("--sequences",
                                                  help="Comma-separated sequence names.")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="Model reference (default: settings' default_model).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    auto: Annotated[bool, typer.Option(
        "--auto", help="Score automatic mask proposals on each sequence's first frame.")] = False,
    points_per_side: Annotated[int | None, typer.Option("--points-per-side", min=1,
                                                        help=_PPS_HELP)] = None,
    split_object: Annotated[list[str] | None, typer.Option("--split-object",
                                                           help=_SPLIT_HELP)] = None,
    every_frame: Annotated[bool, typer.Option(
        "--every-frame", help="With --auto: score every frame (rows SEQUENCE@K), not frame 0 only.")] = False,
) -> None:
    """Evaluate a model: first-frame masks as prompts, J/F/J&F on every later frame.

    Objects absent from frame 0 are prompted on the first frame they appear on and scored after
    it. The "copy the first mask" baseline is scored on the same frames. With --auto: the
    automatic mask generator runs on frame 0 of every sequence; each ground-truth object of that
    frame gets the best IoU of any proposal, recall@0.5 is the share of objects found at IoU >= 0.5.
    """
    from flows.errors import InvalidInputError
    from flows.evaluation import ObjectSplit, resolve_sequences
    from model.network.refs import load_model

    settings = settings_of(ctx)
    ref = model or settings.default_model
    if points_per_side is not None and not auto:
        raise InvalidInputError("--points-per-side applies to --auto only")
    if every_frame and not auto:
        raise InvalidInputError("--every-frame applies to --auto only")
    splits = [ObjectSplit.parse(s) for s in split_object or []]
    wanted = [s.strip() for s in sequences.split(",") if s.strip()] if sequences else None
    names = resolve_sequences(data, wanted)
    loaded = load_model(ref, device=settings.device)
    if auto:
        _auto(data, names, loaded, ref, points_per_side, as_json, every_frame)
    else:
        _semi_supervised(data, names, loaded, ref, splits, as_json)


def _semi_supervised(data: Path, names: list[str], loaded, ref: str, splits, as_json: bool) -> None:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from flows.evaluation import evaluate_davis

    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=as_json) as progress:
        def on_sequence(name: str, n_frames: int):
            task = progress.add_task(f"eval {name}", total=n_frames)
            return lambda _f: progress.advance(task)

        report = evaluate_davis(data, model_ref=ref, sequences=names, on_sequence=on_sequence,
                                model=loaded, splits=splits)
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    table = Table(title=f"maskloop eval -- {ref}")
    for col in ("sequence", "J", "F", "J&F", "baseline J&F"):
        table.add_column(col, justify="left" if col == "sequence" else "right")
    for name, row in report.sequences.items():
        table.add_row(name, f"{row['J']:.3f}", f"{row['F']:.3f}", f"{row['JF']:.3f}",
                      f"{row['baseline_JF']:.3f}")
    m, b = report.mean, report.baseline_mean
    table.add_row("mean", f"{m['J']:.3f}", f"{m['F']:.3f}", f"{m['JF']:.3f}", f"{b['JF']:.3f}",
                  style="bold")
    Console().print(table)


def _auto(data: Path, names: list[str], loaded, ref: str, points_per_side: int | None,
          as_json: bool, every_frame: bool = False) -> None:

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from flows.auto_evaluation import evaluate_auto
    from model.automask.config import AutoMaskConfig

    config = None
    if points_per_side is not None:
        config = AutoMaskConfig.for_arch(loaded.arch.name, points_per_layer=(points_per_side,))
    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=as_json) as progress:
        task = progress.add_task("auto masks", total=len(names))
        report = evaluate_auto(data, model=loaded, sequences=names, config=config,
                               every_frame=every_frame, on_sequence=lambda _name: progress.advance(task))
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    table = Table(title=f"maskloop eval --auto -- {ref}")
    for col in ("sequence", "proposals", "best IoU per object"):
        table.add_column(col, justify="right" if col == "proposals" else "left")
    for name, row in report.sequences.items():
        ious = "  ".join(f"{obj}: {iou:.3f}" for obj, iou in sorted(row.best_iou.items()))
        table.add_row(name, str(row.proposals), ious or "(no object on this frame)")
    Console().print(table)
    recall = report.recall_at_50
    n_objects = sum(len(r.best_iou) for r in report.sequences.values())
    recall_text = "n/a" if recall is None else f"{recall:.3f}"
    Console().print(f"recall@0.5 {recall_text} over {n_objects} objects, "
                    f"{report.mean_proposals:.1f} proposals per frame, "
                    f"{report.seconds_per_frame:.2f} s per frame")
